package web

import "html/template"

// adminFuncs are the admin area's template helpers, merged into Funcs.
func adminFuncs() template.FuncMap {
	return template.FuncMap{}
}
