package logctx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestContextAttrsReachEveryLine(t *testing.T) {
	var buf bytes.Buffer
	log := Logger(slog.New(slog.NewTextHandler(&buf, nil)))
	if Logger(log) != log {
		t.Error("wrapping twice wraps again")
	}
	ctx := With(context.Background(), slog.String("request_id", "req_1"))
	child := With(ctx, slog.String("webhook", "hook_1"))
	log.InfoContext(ctx, "a")
	log.With("k", "v").WithGroup("g").InfoContext(child, "b", "x", 1)
	log.Info("c")
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := []string{"msg=a request_id=req_1", "msg=b k=v g.x=1 g.request_id=req_1 g.webhook=hook_1", "msg=c"}
	for i, w := range want {
		if i >= len(lines) || !strings.HasSuffix(lines[i], w) {
			t.Errorf("line %d: %q, want it to end with %q", i, lines, w)
		}
	}
	if strings.Contains(lines[0], "webhook") {
		t.Error("a child context's attributes leaked into its parent's")
	}
}
