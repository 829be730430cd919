package board

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

const simHelp = `simulated board: type a command and Enter
  1..9  press and release call button N
  l1..l9  hold call button N for a long press
  d     open/close the door contact
  h     lift/hang up the hook switch
  t     open/close the housing (tamper switch)
  n     turn the do-not-disturb switch on/off
  k12#  key 1, 2, # on the keypad
  f     hook flash (f250: for 250 ms; default 400)
  p123  dial 1, 2, 3 by pulses on the rotary dial (ph123: by the hook switch)
  pps N, break N   pulse timing: N pulses per second (5..20), break N% (20..80)
  r     the ringer's waveform as measured
  s     show every pin
  ?     this help`

// RunTerminal lets a person operate the board: it reads commands from r
// (see "?") and writes a line to w for every output change (as Watch
// reports them: a blinking LED by its pattern, not each toggle) and command
// result. It returns when r ends or ctx is done; a reader blocked in
// r.Read returns only when r delivers a line or ends.
func (s *Sim) RunTerminal(ctx context.Context, r io.Reader, w io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var wmu sync.Mutex
	say := func(format string, args ...any) {
		wmu.Lock()
		defer wmu.Unlock()
		fmt.Fprintf(w, format+"\n", args...)
	}
	lines, stop := s.Watch()
	defer stop()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case l := <-lines:
				say("%s", l)
			case <-ctx.Done():
				return
			}
		}
	}()
	cmds := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			select {
			case cmds <- strings.TrimSpace(sc.Text()):
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	say("%s", simHelp)
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return err
		case c := <-cmds:
			s.command(ctx, c, say)
		}
	}
}

// command runs one terminal command and reports its result with say.
func (s *Sim) command(ctx context.Context, c string, say func(string, ...any)) {
	// Bounded so a wedged board cannot hang the terminal; a long press
	// may take up to a minute.
	ctx, cancel := context.WithTimeout(ctx, time.Minute+5*time.Second)
	defer cancel()
	switch {
	case c == "":
	case c == "?" || c == "help":
		say("%s", simHelp)
	case c == "s":
		for _, p := range s.b.State() {
			say("  %-14s %d %-8s active=%t %s", p.Role, p.Index, p.Pin, p.Active, p.Pattern)
		}
	case len(c) == 1 && c[0] >= '1' && c[0] <= '9':
		n := int(c[0] - '1')
		if err := s.Press(ctx, n); err != nil {
			say("error: %v", err)
			return
		}
		say("call button %d pressed and released", n+1)
	case len(c) == 2 && c[0] == 'l' && c[1] >= '1' && c[1] <= '9':
		n := int(c[1] - '1')
		if err := s.LongPress(ctx, n); err != nil {
			say("error: %v", err)
			return
		}
		say("call button %d held and released", n+1)
	case len(c) > 1 && c[0] == 'k':
		if err := s.Keys(ctx, c[1:]); err != nil {
			say("error: %v", err)
			return
		}
		say("keyed %d keys", len(c)-1) // never the keys: they may be a code
	case c == "d" || c == "h" || c == "t" || c == "n":
		role, words := DoorContact, [2]string{"door closed", "door open"}
		switch c {
		case "h":
			role, words = HookSwitch, [2]string{"on hook", "off hook"}
		case "t":
			role, words = Tamper, [2]string{"housing closed", "housing open (tamper)"}
		case "n":
			role, words = DNDSwitch, [2]string{"do-not-disturb off", "do-not-disturb on"}
		}
		on, err := s.Toggle(ctx, role)
		if err != nil {
			say("error: %v", err)
			return
		}
		say("%s", words[b2i(on)])
	default:
		if !s.phoneCommand(ctx, c, say) {
			say("error: unknown command %q: type ? for help", c)
		}
	}
}

// phoneCommand runs the analog-phone commands (f, p, pps, break, r) and
// reports false for anything else.
func (s *Sim) phoneCommand(ctx context.Context, c string, say func(string, ...any)) bool {
	var n int
	var rest string
	switch {
	case c == "r":
		r := s.Ringer()
		say("ringer: ringing=%t bursts=%d last burst %dms at %.1f Hz, pause %dms, bells in antiphase %t",
			r.Ringing, r.Bursts, r.OnMS, r.Hz, r.OffMS, r.Antiphase)
	case c == "f" || strings.HasPrefix(c, "f") && scan(c[1:], "%d", &n):
		if err := s.Flash(ctx, time.Duration(n)*time.Millisecond); err != nil {
			say("error: %v", err)
			return true
		}
		say("hook flashed")
	case scan(c, "pps %d", &n) || scan(c, "break %d", &n):
		s.mu.Lock()
		t := s.term
		if strings.HasPrefix(c, "pps") {
			t.PPS = n
		} else {
			t.BreakPct = n
		}
		_, err := t.withDefaults()
		if err == nil {
			s.term = t
		}
		s.mu.Unlock()
		if err != nil {
			say("error: %v", err)
			return true
		}
		t, _ = t.withDefaults()
		say("pulse timing: %d pps, break %d%%", t.PPS, t.BreakPct)
	case scan(c, "ph%s", &rest) || scan(c, "p%s", &rest):
		s.mu.Lock()
		t := s.term
		s.mu.Unlock()
		t.Hook = strings.HasPrefix(c, "ph")
		if err := s.Dial(ctx, rest, t); err != nil {
			say("error: %v", err)
			return true
		}
		say("dialled %s", rest)
	default:
		return false
	}
	return true
}

// scan is fmt.Sscanf that reports whether the whole of s matched format.
func scan(s, format string, args ...any) bool {
	var tail string
	n, _ := fmt.Sscanf(s+" \x00", format+" %s", append(args, &tail)...)
	return n == len(args)+1 && tail == "\x00"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Handler serves the simulated board for the web UI:
//
//	GET  /state  {"pins":[{role,index,pin,input,active,pattern}...]}
//	POST /press  {"index":0}        press and release call button 0 (0-based);
//	                                with "long":true, hold it for a long press
//	POST /door   {"open":true}      set the door contact; empty body toggles
//	POST /hook   {"off_hook":true}  set the hook switch; empty body toggles
//	POST /flash  {"ms":400}         break the hook switch for a hook flash
//	POST /dial   {"digits":"123","pps":10,"break_pct":60,"hook":false,"gap_ms":600}
//	                                dial by pulses on the rotary dial (or
//	                                the hook switch); all but digits optional
//	POST /keys   {"keys":"1234#"}   key them on the keypad (the matrix
//	                                keypad's scanner when there is one)
//
// The state also has "ringer", the ringer's waveform as measured (see
// RingReport).
//
// The POSTs answer with the new state. Bad requests (bad JSON, a button
// or role the board does not have) get 400 with {"error": "..."}.
func (s *Sim) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /state", func(w http.ResponseWriter, r *http.Request) { s.writeState(w) })
	mux.HandleFunc("POST /press", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Index *int `json:"index"`
			Long  bool `json:"long"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Index == nil {
			httpError(w, http.StatusBadRequest, errors.New(`missing "index" (0-based call button)`))
			return
		}
		s.act(w, r, func(ctx context.Context) error {
			if req.Long {
				return s.LongPress(ctx, *req.Index)
			}
			return s.Press(ctx, *req.Index)
		})
	})
	mux.HandleFunc("POST /door", s.setter(DoorContact, "open"))
	mux.HandleFunc("POST /hook", s.setter(HookSwitch, "off_hook"))
	mux.HandleFunc("POST /flash", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			MS int `json:"ms"`
		}
		if decode(w, r, &req) {
			s.act(w, r, func(ctx context.Context) error { return s.Flash(ctx, time.Duration(req.MS)*time.Millisecond) })
		}
	})
	mux.HandleFunc("POST /dial", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Digits   string `json:"digits"`
			PPS      int    `json:"pps"`
			BreakPct int    `json:"break_pct"`
			Hook     bool   `json:"hook"`
			GapMS    int    `json:"gap_ms"`
		}
		if decode(w, r, &req) {
			t := PulseTiming{PPS: req.PPS, BreakPct: req.BreakPct, Hook: req.Hook, Gap: time.Duration(req.GapMS) * time.Millisecond}
			s.act(w, r, func(ctx context.Context) error { return s.Dial(ctx, req.Digits, t) })
		}
	})
	mux.HandleFunc("POST /keys", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Keys string `json:"keys"`
		}
		if decode(w, r, &req) {
			s.act(w, r, func(ctx context.Context) error { return s.Keys(ctx, req.Keys) })
		}
	})
	return mux
}

func (s *Sim) setter(role Role, field string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req map[string]*bool
		if !decode(w, r, &req) {
			return
		}
		for k := range req {
			if k != field {
				httpError(w, http.StatusBadRequest, fmt.Errorf("unknown field %q (want %q)", k, field))
				return
			}
		}
		s.act(w, r, func(ctx context.Context) error {
			if v := req[field]; v != nil {
				return s.SetInput(ctx, role, 0, *v)
			}
			_, err := s.Toggle(ctx, role)
			return err
		})
	}
}

func (s *Sim) act(w http.ResponseWriter, r *http.Request, f func(context.Context) error) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Minute+5*time.Second)
	defer cancel()
	if err := f(ctx); err != nil {
		code := http.StatusInternalServerError
		if errors.Is(err, ErrNoSuchPin) || errors.Is(err, ErrBadPulses) || errors.Is(err, ErrNoSuchKey) {
			code = http.StatusBadRequest
		}
		httpError(w, code, err)
		return
	}
	s.writeState(w)
}

func (s *Sim) writeState(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(struct {
		Pins   []PinState `json:"pins"`
		Ringer RingReport `json:"ringer"`
	}{s.b.State(), s.Ringer()})
}

// decode reads an optional small JSON body into v; an empty body leaves
// v alone.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4096))
	if err != nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("read body: %w", err))
		return false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return true
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		httpError(w, http.StatusBadRequest, fmt.Errorf("bad JSON body: %w", err))
		return false
	}
	return true
}

func httpError(w http.ResponseWriter, code int, err error) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
}
