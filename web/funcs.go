package web

import "html/template"

// Funcs are the template helpers shared by every page.
func Funcs() template.FuncMap {
	return template.FuncMap{}
}
