package sqlstore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/memberd/memberd"
)

// Times are stored as Unix milliseconds, money as memberd.Money's integer,
// JSON as text: the same in every backend, and exact.

func ms(t time.Time) int64 { return t.UnixMilli() }

func msOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMilli()
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonOrNil(raw json.RawMessage) any {
	if raw == nil {
		return nil
	}
	return string(raw)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func asInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case int32:
		return int64(x), nil
	case int:
		return int64(x), nil
	case float64:
		return int64(x), nil
	case []byte:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("sqlstore: cannot scan %T as an integer", v)
}

// timeCol scans a NOT NULL millisecond column.
type timeCol struct{ p *time.Time }

func (c timeCol) Scan(v any) error {
	n, err := asInt64(v)
	*c.p = time.UnixMilli(n).UTC()
	return err
}

// timePtrCol scans a nullable millisecond column.
type timePtrCol struct{ p **time.Time }

func (c timePtrCol) Scan(v any) error {
	if v == nil {
		*c.p = nil
		return nil
	}
	n, err := asInt64(v)
	t := time.UnixMilli(n).UTC()
	*c.p = &t
	return err
}

// strCol scans a nullable text column, NULL as "".
type strCol struct{ p *string }

func (c strCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.p = ""
	case string:
		*c.p = x
	case []byte:
		*c.p = string(x)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as text", v)
	}
	return nil
}

// jsonCol scans a nullable JSON column, NULL as nil.
type jsonCol struct{ p *json.RawMessage }

func (c jsonCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.p = nil
	case string:
		*c.p = json.RawMessage(x)
	case []byte:
		*c.p = append(json.RawMessage(nil), x...)
	default:
		return fmt.Errorf("sqlstore: cannot scan %T as JSON", v)
	}
	return nil
}

// intCol scans a nullable integer column, NULL as 0.
type intCol struct{ p *int }

func (c intCol) Scan(v any) error {
	if v == nil {
		*c.p = 0
		return nil
	}
	n, err := asInt64(v)
	*c.p = int(n)
	return err
}

// moneyCol scans a nullable money column, NULL as 0.
type moneyCol struct{ p *memberd.Money }

func (c moneyCol) Scan(v any) error {
	if v == nil {
		*c.p = 0
		return nil
	}
	n, err := asInt64(v)
	*c.p = memberd.Money(n)
	return err
}

// boolCol scans a boolean stored as a boolean or as 0/1.
type boolCol struct{ p *bool }

func (c boolCol) Scan(v any) error {
	switch x := v.(type) {
	case bool:
		*c.p = x
	case nil:
		*c.p = false
	default:
		n, err := asInt64(v)
		*c.p = n != 0
		return err
	}
	return nil
}
