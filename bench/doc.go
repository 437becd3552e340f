// Package bench is qqconnect's load tool: TestPerformance (perf_test.go)
// builds the binary, runs a real `qqconnect serve` on MariaDB with Discuz
// X3.5's install SQL and bound members, puts a QQ emulator with a fixed
// latency on loopback, and measures the callback against the floor of the
// three QQ calls it must make and against a minimal stand-in callback
// (standin_test.go), the login redirect, the doctor and the dashboard with
// every endpoint black-holed, and two repairs on a forum of a million
// members. Without -full it is a smoke run that checks every answer and
// asserts no timing (it runs in `go test ./...`).
//
//	go test ./bench -run TestPerformance -count=1 -v -timeout 30m -full -report /tmp/perf.json
package bench
