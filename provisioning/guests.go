package provisioning

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sipbell/sipbell/device"
)

// GuestCodes is implemented by Actions that keep door guest codes
// (device.door.access): the admin API then serves /api/guests.
type GuestCodes interface {
	Guests(ctx context.Context) ([]device.Guest, error)
	// AddGuest creates a guest code on behalf of who and returns the
	// code, shown this once.
	AddGuest(ctx context.Context, who string, r device.GuestRequest) (string, device.Guest, error)
	RevokeGuest(ctx context.Context, who, name string) error
}

// guestOpener is who creates and revokes guest codes through the API
// (the admin API has one user).
const guestOpener = "api:admin"

// guestBody is the body of POST /api/guests.
type guestBody struct {
	Name       string    `json:"name"`
	Relays     []int     `json:"relays"`
	ValidUntil time.Time `json:"valid_until"` // RFC 3339; zero: no end
	MaxUses    int       `json:"max_uses"`
}

// guestRoutes serves the guest codes when the actions keep them:
// GET /api/guests lists them (never a code), POST creates one and
// answers its code once, DELETE /api/guests/{name} revokes one.
func (a *Admin) guestRoutes(mux *http.ServeMux) {
	g, ok := a.opts.Actions.(GuestCodes)
	if !ok {
		return
	}
	mux.Handle("GET /api/guests", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		list, err := g.Guests(r.Context())
		if err != nil {
			writeGuestError(w, "list guest codes", err)
			return
		}
		if list == nil {
			list = []device.Guest{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"guests": list})
	})))
	mux.Handle("POST /api/guests", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b guestBody
		if !readJSON(w, r, &b) {
			return
		}
		code, guest, err := g.AddGuest(r.Context(), guestOpener, device.GuestRequest(b))
		if err != nil {
			writeGuestError(w, "create guest code", err)
			return
		}
		a.log.Info("admin action", "action", "guest-code", "guest", guest.Name, "from", clientAddr(r))
		writeJSON(w, http.StatusCreated, map[string]any{"code": code, "guest": guest})
	})))
	mux.Handle("DELETE /api/guests/{name}", a.auth(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if err := g.RevokeGuest(r.Context(), guestOpener, name); err != nil {
			writeGuestError(w, "revoke guest code "+name, err)
			return
		}
		a.log.Info("admin action", "action", "guest-revoke", "guest", name, "from", clientAddr(r))
		writeJSON(w, http.StatusOK, map[string]string{"result": "guest code " + name + " revoked"})
	})))
}

// writeGuestError answers err of op with the status that fits it.
func writeGuestError(w http.ResponseWriter, op string, err error) {
	code := http.StatusConflict
	switch {
	case errors.Is(err, device.ErrGuestInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, device.ErrGuestUnknown):
		code = http.StatusNotFound
	}
	writeError(w, code, op+": "+err.Error())
}
