package postgres_test

import (
	"testing"

	"github.com/memberd/memberd/internal/storetest"
	"github.com/memberd/memberd/internal/testdb"
	"github.com/memberd/memberd/sqlstore"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *sqlstore.Store { return testdb.OpenPostgres(t) })
}
