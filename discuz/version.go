package discuz

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ReadVersion reads DISCUZ_VERSION and DISCUZ_RELEASE from
// <discuzRoot>/source/discuz_version.php (e.g. "X3.5", "20231001"). The
// defines may sit inside an if(!defined(...)) guard. release is "" when
// the file has none; a missing version is an error.
func ReadVersion(discuzRoot string) (version, release string, err error) {
	path := filepath.Join(discuzRoot, "source", "discuz_version.php")
	src, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("read discuz version: %w", err)
	}
	return parseVersion(path, src)
}

func parseVersion(file string, src []byte) (version, release string, err error) {
	defs, err := readDefines(file, src)
	if err != nil {
		return "", "", err
	}
	v, ok := defs["DISCUZ_VERSION"]
	if !ok {
		return "", "", &ConfigError{File: file, Line: 1, Msg: "DISCUZ_VERSION is not defined"}
	}
	if version, ok = v.phpString(); !ok || strings.TrimSpace(version) == "" {
		return "", "", &ConfigError{File: file, Line: v.line, Msg: "DISCUZ_VERSION is not a literal string"}
	}
	if r, ok := defs["DISCUZ_RELEASE"]; ok {
		if release, ok = r.phpString(); !ok {
			return "", "", &ConfigError{File: file, Line: r.line, Msg: "DISCUZ_RELEASE is not a literal string"}
		}
	}
	return strings.TrimSpace(version), strings.TrimSpace(release), nil
}

// IsCloudEra reports whether a DISCUZ_VERSION is X3.2 or X3.3 (also
// "X3.2 R2"-style values): the releases whose QQ login keys came from the
// Discuz! cloud platform and whose admin panel has the cloud doctor page.
// X3.4 and later, and anything unrecognised, give false. Older cloud-era
// releases (X2.5-X3.1) are out of scope.
func IsCloudEra(version string) bool {
	v := strings.ToUpper(strings.TrimSpace(version))
	for _, p := range []string{"X3.2", "X3.3"} {
		if rest, ok := strings.CutPrefix(v, p); ok {
			return rest == "" || rest[0] < '0' || rest[0] > '9'
		}
	}
	return false
}
