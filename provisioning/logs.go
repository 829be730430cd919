package provisioning

import (
	"net/http"
	"strconv"
	"strings"
)

// LogSource is the device's recent log, newest last, secrets already
// taken out.
type LogSource interface {
	Lines(n int) []string
}

// maxLogLines bounds one answer of GET /api/logs.
const maxLogLines = 2000

// logs serves GET /api/logs?n=200 as JSON {"lines":[...]}, or with
// ?download=1 as a text file.
func (a *Admin) logs(w http.ResponseWriter, r *http.Request) {
	n := 300
	if s := r.URL.Query().Get("n"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			writeError(w, http.StatusBadRequest, "n: want a number of lines such as 200")
			return
		}
		n = min(v, maxLogLines)
	}
	lines := a.opts.Logs.Lines(n)
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="sipbell.log"`)
		_, _ = w.Write([]byte(strings.Join(lines, "\n") + "\n"))
		return
	}
	if lines == nil {
		lines = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": lines})
}
