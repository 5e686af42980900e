package pgembed

import (
	"io/fs"
	"os"
)

func hostLayout() layout { return windowsLayout() }

// hostRoot is the system drive, where the installer puts Program Files.
func hostRoot() string {
	drive := os.Getenv("SystemDrive")
	if drive == "" {
		drive = "C:"
	}
	return drive + `\`
}

// executableMode: Windows has no executable bit; the .exe suffix is what counts.
func executableMode(fs.FileMode) bool { return true }
