//go:build unix && !linux && !darwin

package pgembed

// hostLayout on the BSDs: their packages put the server on PATH (/usr/local/bin).
func hostLayout() layout {
	return layout{install: "install the server with the system's package manager (pkg install postgresql17-server)"}
}
