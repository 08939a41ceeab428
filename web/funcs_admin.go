package web

import "html/template"

// adminFuncs are the admin area's template helpers, merged into Funcs.
// Admin handlers hand templates preformatted values (snippets, sizes,
// labels), so the shared helpers are all the admin templates need so far.
func adminFuncs() template.FuncMap {
	return template.FuncMap{}
}
