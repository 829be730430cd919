package provisioning

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// testerActions is fakeActions that can also self-test.
type testerActions struct {
	*fakeActions
	err error
}

func (f testerActions) SelfTest(context.Context) (any, error) {
	if f.err != nil {
		return nil, f.err
	}
	return map[string]any{"pass": true, "level_db": -20.5}, nil
}

func TestAdminSelfTest(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		act  func(*fakeActions) Actions
		code int
		body string
	}{
		{"runs", func(f *fakeActions) Actions { return testerActions{fakeActions: f} }, 200, `"level_db":-20.5`},
		{"busy", func(f *fakeActions) Actions { return testerActions{fakeActions: f, err: errors.New("audio busy")} }, 409, "audio busy"},
		{"none", func(f *fakeActions) Actions { return f }, 501, "not available"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newAdminEnv(t, func(o *AdminOptions) { o.Actions = tc.act(o.Actions.(*fakeActions)) })
			res, body := e.do(t, "POST", "/api/actions/self-test", testAdminPW, "")
			if res.StatusCode != tc.code || !strings.Contains(body, tc.body) {
				t.Errorf("got %d %s, want %d with %q", res.StatusCode, body, tc.code, tc.body)
			}
			if res, _ := e.do(t, "POST", "/api/actions/self-test", "", ""); res.StatusCode != 401 {
				t.Errorf("without a password: %d, want 401", res.StatusCode)
			}
		})
	}
}
