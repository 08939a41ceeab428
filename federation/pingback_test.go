package federation

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func pingbackCall(params ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><methodCall><methodName>pingback.ping</methodName><params>`)
	for _, p := range params {
		b.WriteString("<param>" + p + "</param>")
	}
	b.WriteString("</params></methodCall>")
	return b.String()
}

func TestParsePingbackCall(t *testing.T) {
	tests := []struct {
		name           string
		body           string
		source, target string
		fault          int // 1: none expected
	}{
		{"typed strings", pingbackCall("<value><string>https://a.test/x</string></value>", "<value><string>https://blog.test/y/</string></value>"),
			"https://a.test/x", "https://blog.test/y/", 1},
		{"untyped values and whitespace", pingbackCall("<value>\n https://a.test/x </value>", "<value>https://blog.test/y/?a=1&amp;b=2</value>"),
			"https://a.test/x", "https://blog.test/y/?a=1&b=2", 1},
		{"latin-1 declaration", `<?xml version="1.0" encoding="ISO-8859-1"?><methodCall><methodName>pingback.ping</methodName><params><param><value>https://a.test/caf` + "\xe9" + `</value></param><param><value>https://blog.test/y/</value></param></params></methodCall>`,
			"https://a.test/café", "https://blog.test/y/", 1},
		{"not XML", "hello", "", "", FaultParse},
		{"truncated", pingbackCall("<value><string>https://a.test/x</string></value>")[:60], "", "", FaultParse},
		{"empty", "", "", "", FaultParse},
		{"other root", `<methodResponse/>`, "", "", FaultParse},
		{"unknown entity", pingbackCall("<value>&xxe;</value>", "<value>b</value>"), "", "", FaultParse},
		{"other method", `<methodCall><methodName>system.listMethods</methodName></methodCall>`, "", "", FaultNoSuchMethod},
		{"one param", pingbackCall("<value>https://a.test/x</value>"), "", "", FaultInvalidParams},
		{"three params", pingbackCall("<value>a</value>", "<value>b</value>", "<value>c</value>"), "", "", FaultInvalidParams},
		{"int param", pingbackCall("<value><int>4</int></value>", "<value>b</value>"), "", "", FaultInvalidParams},
		{"array param", pingbackCall("<value><array><data/></array></value>", "<value>b</value>"), "", "", FaultInvalidParams},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			source, target, err := ParsePingbackCall(strings.NewReader(tt.body))
			if tt.fault == 1 {
				if err != nil {
					t.Fatal(err)
				}
				if source != tt.source || target != tt.target {
					t.Fatalf("got %q %q", source, target)
				}
				return
			}
			var f *XMLRPCFault
			if !errors.As(err, &f) || f.Code != tt.fault {
				t.Fatalf("err = %v, want fault %d", err, tt.fault)
			}
		})
	}
}

func TestXMLRPCResponsesRoundTrip(t *testing.T) {
	if err := parsePingbackResponse(bytes.NewReader(XMLRPCResponse("ok <&>"))); err != nil {
		t.Fatalf("success response: %v", err)
	}
	err := parsePingbackResponse(bytes.NewReader(XMLRPCFaultResponse(FaultTargetMissing, "no <such> target")))
	var f *XMLRPCFault
	if !errors.As(err, &f) || f.Code != FaultTargetMissing || f.Message != "no <such> target" {
		t.Fatalf("fault response: %v", err)
	}
	// WordPress answers i4 faults.
	wp := `<?xml version="1.0" encoding="UTF-8"?><methodResponse><fault><value><struct>
		<member><name>faultCode</name><value><i4>17</i4></value></member>
		<member><name>faultString</name><value><string>The source URL does not contain a link to the target URL.</string></value></member>
		</struct></value></fault></methodResponse>`
	err = parsePingbackResponse(strings.NewReader(wp))
	if !errors.As(err, &f) || f.Code != FaultNoLink {
		t.Fatalf("WordPress fault: %v", err)
	}
	if err := parsePingbackResponse(strings.NewReader("<html>oops</html>")); err == nil || errors.As(err, &f) {
		t.Fatalf("garbage: %v", err)
	}
	source, target, err := ParsePingbackCall(bytes.NewReader(pingbackCallBody("https://a.test/?a=1&b=<2>", "https://b.test/")))
	if err != nil || source != "https://a.test/?a=1&b=<2>" || target != "https://b.test/" {
		t.Fatalf("call round trip: %q %q %v", source, target, err)
	}
}
