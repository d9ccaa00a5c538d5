package actions_test

import (
	"context"
	"testing"

	"github.com/gatehouse/gatehouse/internal/actions"
)

func BenchmarkPostLoginGuideAction(b *testing.B) {
	rt := actions.NewRuntime(actions.Options{})
	bound := []actions.Bound{{ActionID: "a", Name: "Add roles", Program: MustCompile(b, rt, "Add roles", guideCode(b), actions.TriggerPostLogin)}}
	ev := loginEvent("admin", "user")
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := rt.RunPostLogin(ctx, bound, ev); err != nil {
			b.Fatal(err)
		}
	}
}
