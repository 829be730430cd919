// Package interop starts real SIP peers on loopback for tests: Kamailio
// (registrar, proxy, optional TLS and presence), baresip (a headless
// softphone driven over ctrl_tcp) and sipp (scripted scenarios).
//
// Every peer gets a generated configuration in t.TempDir(), free loopback
// ports, readiness by polling (an OPTIONS answered, a control socket
// accepting), its output captured in a Log, which is printed when the test
// fails, and is killed in t.Cleanup. Nothing here sleeps a fixed time.
//
// When a peer's binary is missing the test is skipped with the Debian
// package to install, or fails when the environment variable CI is "true".
//
// The API in short:
//
//	k := interop.StartKamailio(t, interop.KamailioOptions{TLS: true})
//	k.UDP, k.TCP, k.TLS          // "127.0.0.1:port" listeners (TLS only when asked)
//	k.Domain, k.Users            // "127.0.0.1"; door, alice, bob all with password interop.Password
//	k.CA                         // test CA that signed Kamailio's certificate (CA.CertFile, CA.Pool)
//	k.Restart(t); k.Stop()       // same ports and database; registrations are lost (usrloc in memory)
//	k.Log.WaitFor(ctx, "text")   // wait for a line in Kamailio's log
//
//	b := interop.StartBaresip(t, interop.BaresipOptions{User: "alice", Registrar: k.UDP})
//	b.Command(ctx, "dial", "sip:door@127.0.0.1:5070")   // ctrl_tcp command, returns the reply text
//	b.WaitEvent(ctx, "CALL_ESTABLISHED")                // ctrl_tcp event types
//	b.SIP, b.RecordDir                                    // its SIP address; WAVs of what it heard and sent
//
//	r := interop.RunSipp(ctx, t, interop.SippOptions{Scenario: "uac_call.xml", Remote: addr})
//	r.Exit, r.Messages, r.Log    // exit status (0 = all calls passed), the SIP trace, the screen/error log
//	p := interop.StartSipp(t, opts) // background (e.g. a UAS); p.Addr, p.Wait(ctx)
//
// Scenario files live in the sipp directory beside this file and are
// embedded (see Scenarios); the "[field0]"... injection and -key values are
// passed through SippOptions.
package interop
