package testproc

import (
	"os"
	"os/exec"
	"path/filepath"
)

// ChromiumPath is Debian's chromium, or "" when it is not installed: the
// browser tests need it, and zz_skipped names it when it is missing.
func ChromiumPath() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// FedifyPeerProblem says why the Fedify interop peer in root/test/fedify
// cannot run, with how to fix it, or "" when it can.
func FedifyPeerProblem(root string) string {
	if _, err := exec.LookPath("node"); err != nil {
		return "node is not installed: the Fedify peer needs Node.js 20+"
	}
	if _, err := os.Stat(filepath.Join(root, "test", "fedify", "node_modules", "@fedify", "fedify", "package.json")); err != nil {
		return "test/fedify/node_modules is missing: run (cd test/fedify && npm ci --no-audit --no-fund)"
	}
	return ""
}
