package federation

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"golang.org/x/net/html/charset"
)

// XML-RPC for Pingback 1.0 (http://www.hixie.ch/specs/pingback/pingback):
// parsing pingback.ping calls, writing answers, and calling other blogs.

// MaxPingbackBody bounds an XML-RPC request; a pingback call is a few
// hundred bytes.
const MaxPingbackBody = 64 << 10

// XML-RPC fault codes. The positive ones are Pingback 1.0's; the negative
// ones are the XML-RPC interoperability codes WordPress also answers.
const (
	FaultGeneric           = 0
	FaultSourceMissing     = 16
	FaultNoLink            = 17
	FaultTargetMissing     = 32
	FaultTargetInvalid     = 33
	FaultAlreadyRegistered = 48
	FaultAccessDenied      = 49
	FaultUpstream          = 50
	FaultParse             = -32700
	FaultInvalidRequest    = -32600
	FaultNoSuchMethod      = -32601
	FaultInvalidParams     = -32602
)

// XMLRPCFault is an XML-RPC fault, received or to be sent.
type XMLRPCFault struct {
	Code    int
	Message string
}

func (f *XMLRPCFault) Error() string {
	return fmt.Sprintf("XML-RPC fault %d: %s", f.Code, f.Message)
}

// xmlrpcValue is a <value>: a string (typed or bare), an int or a struct.
// Other types are recognised only as "not a string".
type xmlrpcValue struct {
	String *string        `xml:"string"`
	Int    *string        `xml:"int"`
	I4     *string        `xml:"i4"`
	Struct *xmlrpcStruct  `xml:"struct"`
	Other  []xmlrpcAnyTag `xml:",any"`
	Text   string         `xml:",chardata"`
}

type xmlrpcStruct struct {
	Members []struct {
		Name  string      `xml:"name"`
		Value xmlrpcValue `xml:"value"`
	} `xml:"member"`
}

type xmlrpcAnyTag struct {
	XMLName xml.Name
}

// str returns the value as a string, if it is one (untyped values are
// strings per the XML-RPC spec).
func (v *xmlrpcValue) str() (string, bool) {
	switch {
	case v.String != nil:
		return *v.String, true
	case v.Int != nil || v.I4 != nil || v.Struct != nil || len(v.Other) > 0:
		return "", false
	}
	return v.Text, true
}

func (v *xmlrpcValue) integer() (int, bool) {
	s := v.Int
	if s == nil {
		s = v.I4
	}
	if s == nil {
		return 0, false
	}
	n, err := strconv.Atoi(strings.TrimSpace(*s))
	return n, err == nil
}

// newXMLDecoder decodes XML-RPC in the encodings senders use; entities
// beyond XML's own are refused (encoding/xml never expands DTDs).
func newXMLDecoder(r io.Reader) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = charset.NewReaderLabel
	return d
}

// ParsePingbackCall reads an XML-RPC pingback.ping call. Errors are
// *XMLRPCFault ready to send back.
func ParsePingbackCall(r io.Reader) (source, target string, err error) {
	var call struct {
		XMLName    xml.Name      `xml:"methodCall"`
		MethodName string        `xml:"methodName"`
		Params     []xmlrpcValue `xml:"params>param>value"`
	}
	if err := newXMLDecoder(r).Decode(&call); err != nil {
		var se *xml.SyntaxError
		var ue xml.UnmarshalError
		if errors.As(err, &se) || errors.As(err, &ue) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return "", "", &XMLRPCFault{Code: FaultParse, Message: "Parse error: not well formed XML-RPC."}
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", "", &XMLRPCFault{Code: FaultParse, Message: "Parse error: request too large."}
		}
		return "", "", &XMLRPCFault{Code: FaultParse, Message: "Parse error: " + err.Error()}
	}
	if m := strings.TrimSpace(call.MethodName); m != "pingback.ping" {
		return "", "", &XMLRPCFault{Code: FaultNoSuchMethod, Message: fmt.Sprintf("Server error: requested method %q does not exist.", clipRunes(m, 100))}
	}
	if len(call.Params) != 2 {
		return "", "", &XMLRPCFault{Code: FaultInvalidParams, Message: "pingback.ping takes two parameters: sourceURI and targetURI."}
	}
	source, ok1 := call.Params[0].str()
	target, ok2 := call.Params[1].str()
	if !ok1 || !ok2 {
		return "", "", &XMLRPCFault{Code: FaultInvalidParams, Message: "pingback.ping parameters must be strings."}
	}
	return strings.TrimSpace(source), strings.TrimSpace(target), nil
}

// XMLRPCResponse is a methodResponse carrying one string.
func XMLRPCResponse(msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodResponse><params><param><value><string>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</string></value></param></params></methodResponse>\n")
	return b.Bytes()
}

// XMLRPCFaultResponse is a methodResponse carrying a fault.
func XMLRPCFaultResponse(code int, msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodResponse><fault><value><struct>")
	b.WriteString("<member><name>faultCode</name><value><int>" + strconv.Itoa(code) + "</int></value></member>")
	b.WriteString("<member><name>faultString</name><value><string>")
	xml.EscapeText(&b, []byte(msg))
	b.WriteString("</string></value></member></struct></value></fault></methodResponse>\n")
	return b.Bytes()
}

// pingbackCallBody is the XML-RPC request for pingback.ping.
func pingbackCallBody(source, target string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodCall><methodName>pingback.ping</methodName><params>")
	for _, p := range []string{source, target} {
		b.WriteString("<param><value><string>")
		xml.EscapeText(&b, []byte(p))
		b.WriteString("</string></value></param>")
	}
	b.WriteString("</params></methodCall>\n")
	return b.Bytes()
}

// parsePingbackResponse reads a methodResponse: nil for a result, an
// *XMLRPCFault for a fault, another error for garbage.
func parsePingbackResponse(r io.Reader) error {
	var resp struct {
		XMLName xml.Name      `xml:"methodResponse"`
		Params  []xmlrpcValue `xml:"params>param>value"`
		Fault   *struct {
			Value xmlrpcValue `xml:"value"`
		} `xml:"fault"`
	}
	if err := newXMLDecoder(r).Decode(&resp); err != nil {
		return fmt.Errorf("read XML-RPC response: %w", err)
	}
	if resp.Fault == nil {
		if len(resp.Params) == 0 {
			return errors.New("read XML-RPC response: neither result nor fault")
		}
		return nil
	}
	f := &XMLRPCFault{Code: FaultGeneric}
	if st := resp.Fault.Value.Struct; st != nil {
		for _, m := range st.Members {
			switch m.Name {
			case "faultCode":
				if n, ok := m.Value.integer(); ok {
					f.Code = n
				}
			case "faultString":
				f.Message, _ = m.Value.str()
			}
		}
	}
	f.Message = clipRunes(strings.TrimSpace(f.Message), 300)
	return f
}

// callPingback sends pingback.ping(source, target) to an XML-RPC server.
// "Already registered" counts as success.
func (s *Service) callPingback(ctx context.Context, client *http.Client, endpoint, source, target string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(pingbackCallBody(source, target)))
	if err != nil {
		return fmt.Errorf("pingback %s: %w", endpoint, err)
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("User-Agent", s.mentionUserAgent())
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("pingback %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return mentionStatusError(endpoint, resp.StatusCode)
	}
	err = parsePingbackResponse(io.LimitReader(resp.Body, MaxPingbackBody))
	var f *XMLRPCFault
	switch {
	case err == nil:
		return nil
	case errors.As(err, &f) && f.Code == FaultAlreadyRegistered:
		return nil
	case errors.As(err, &f) && f.Code == FaultUpstream:
		return fmt.Errorf("pingback %s: %w", endpoint, err) // their upstream's trouble: retry
	case errors.As(err, &f):
		return &MentionRejectedError{Target: target, Err: fmt.Errorf("pingback %s: %w", endpoint, err)}
	}
	return fmt.Errorf("pingback %s: %w", endpoint, err)
}

func (s *Service) mentionUserAgent() string {
	if s.cfg.UserAgent != "" {
		return s.cfg.UserAgent
	}
	return defaultUserAgent
}
