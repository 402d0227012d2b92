// Package widget is the core of the embeddable chat widget, without the DOM:
// it parses and validates the page's ChatWidget.init config, chooses the
// identity mode, keeps the device id, validates the name/email form, and
// talks to the worker's /v1/widget routes with retries, Idempotency-Keys, a
// persisted outbox, contact-token renewal and getToken.
//
// It has no syscall/js and no net/http: the browser build (package wasm)
// plugs in fetch, localStorage and crypto.getRandomValues through the small
// Transport and Storage interfaces and an io.Reader; tests plug in fakes or
// the net/http transport of package widgethttp. It compiles natively and for
// GOOS=js GOARCH=wasm.
//
// The widget's state lives in Storage under keys namespaced by the widget
// token ("chatwidget:<pk>:device", ":contact", ":outbox"), so two orgs on one
// browser never share a device id or a chat.
package widget
