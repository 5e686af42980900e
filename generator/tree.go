package generator

import (
	"fmt"
	"io"
	"strings"
)

// WriteTree prints the plan's files as an indented tree under root, the way
// `starter new --dry-run` shows them.
func (p *Plan) WriteTree(w io.Writer, root string) error {
	if _, err := fmt.Fprintf(w, "%s/\n", root); err != nil {
		return err
	}
	var prev []string
	for _, f := range p.Files {
		parts := strings.Split(f.Path, "/")
		dirs := parts[:len(parts)-1]
		common := 0
		for common < len(dirs) && common < len(prev) && dirs[common] == prev[common] {
			common++
		}
		for i := common; i < len(dirs); i++ {
			if _, err := fmt.Fprintf(w, "%s%s/\n", strings.Repeat("  ", i+1), dirs[i]); err != nil {
				return err
			}
		}
		if _, err := fmt.Fprintf(w, "%s%s\n", strings.Repeat("  ", len(dirs)+1), parts[len(parts)-1]); err != nil {
			return err
		}
		prev = dirs
	}
	return nil
}
