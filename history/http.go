package history

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxLimit bounds one answer of the API.
const maxLimit = 5000

// Handler serves GET /api/history: ?kind=ring,door-opened (any of them),
// ?since= (RFC 3339 time, or a duration back from now such as 24h),
// ?limit=N (the newest N), ?format=csv (default JSON), ?tz=Europe/Berlin
// (times in that zone; default Options.Zone, else UTC). The caller puts it
// behind the admin login. The handler is a Recorder too, for the parts
// of the firmware that are handed only the handler.
func (l *Log) Handler() http.Handler {
	return api{l, l.serveHTTP}
}

// Recorder adds entries to a history.
type Recorder interface {
	Add(e Entry) error
}

// api is the history's HTTP handler, which records too.
type api struct {
	*Log
	serve http.HandlerFunc
}

func (a api) ServeHTTP(w http.ResponseWriter, r *http.Request) { a.serve(w, r) }

func (l *Log) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f, err := l.parseFilter(r)
	if err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	}
	entries := l.List(f)
	if loc, err := location(r.URL.Query().Get("tz")); err != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
		return
	} else if loc != nil || l.opts.Zone != nil && l.opts.Zone() != nil {
		if loc == nil {
			loc = l.opts.Zone()
		}
		for i := range entries {
			entries[i].Time = entries[i].Time.In(loc)
		}
	}
	switch r.URL.Query().Get("format") {
	case "csv":
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sipbell-history.csv"`)
		_ = WriteCSV(w, entries)
	default:
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("download") != "" {
			w.Header().Set("Content-Disposition", `attachment; filename="sipbell-history.json"`)
		}
		if entries == nil {
			entries = []Entry{}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"entries": entries})
	}
}

// location is the time zone ?tz= names (IANA, such as Europe/Berlin),
// nil for none: times are then UTC. The zone database is the system's;
// gokrazy, which has none, builds it in (-tags timetzdata in
// gokrazy/*/config.json).
func location(name string) (*time.Location, error) {
	if name == "" {
		return nil, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || len(name) > 64 {
		return nil, fmt.Errorf("tz %q: a time zone such as Europe/Berlin or America/New_York", name)
	}
	return loc, nil
}

func (l *Log) parseFilter(r *http.Request) (Filter, error) {
	q := r.URL.Query()
	f := Filter{Limit: maxLimit}
	if k := q.Get("kind"); k != "" {
		for _, s := range strings.Split(k, ",") {
			if s = strings.TrimSpace(s); s != "" {
				f.Kinds = append(f.Kinds, s)
			}
		}
	}
	if s := q.Get("since"); s != "" {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			f.Since = t
		} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
			f.Since = l.opts.Now().Add(-d)
		} else {
			return f, fmt.Errorf("since %q: a time such as 2026-01-02T15:04:05Z or a duration back from now such as 24h", s)
		}
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			return f, fmt.Errorf("limit %q: a positive whole number", s)
		}
		f.Limit = min(n, maxLimit)
	}
	if fm := q.Get("format"); fm != "" && fm != "csv" && fm != "json" {
		return f, fmt.Errorf("format %q: json or csv", fm)
	}
	return f, nil
}

// WriteCSV writes entries as CSV with a header row. Fields a spreadsheet
// would run as a formula are prefixed with a quote.
func WriteCSV(w interface{ Write([]byte) (int, error) }, entries []Entry) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"seq", "time", "kind", "who", "how", "detail"})
	for _, e := range entries {
		_ = cw.Write([]string{strconv.FormatUint(e.Seq, 10), e.Time.Format(time.RFC3339Nano), e.Kind,
			cell(e.Who), cell(e.How), cell(e.Detail)})
	}
	cw.Flush()
	return cw.Error()
}

func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
