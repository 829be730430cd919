package provisioning

import (
	"net/http"
)

// selfTest runs the speaker and microphone self-test for POST
// /api/actions/self-test and answers with its outcome; 409 when it cannot
// run now (a call, another test), 501 when the device has none.
func (a *Admin) selfTest(w http.ResponseWriter, r *http.Request, act Actions) {
	st, ok := act.(SelfTester)
	if !ok {
		writeError(w, http.StatusNotImplemented, "the audio self-test is not available")
		return
	}
	a.log.Info("admin action", "action", "self-test", "from", clientAddr(r))
	res, err := st.SelfTest(r.Context())
	if err != nil {
		writeError(w, http.StatusConflict, "self-test: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, res)
}
