package mockapi

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/revhook/revhook/internal/redact"
	"github.com/revhook/revhook/simulator/deliverylog"
	"github.com/revhook/revhook/simulator/event"
	"github.com/revhook/revhook/simulator/signature"
	"github.com/revhook/revhook/simulator/webhook"
)

// Validation bounds.
const (
	maxURLLen        = 2048
	maxEventTypes    = 256
	maxIDLen         = 512
	dateLayout       = "2006-01-02T15:04:05.000Z"
	generatedSecretN = 32
)

// hook is one DevRev-style webhook and its life cycle. Fields are guarded by
// Server.mu.
type hook struct {
	id, displayID string
	display       int // the number in displayID
	url           string
	eventTypes    []string
	secret        string
	signer        *signature.Signer
	created       time.Time
	modified      time.Time
	m             webhook.Machine
	faults        Faults
	// headers are the custom headers (DevRev's beta API); header is their
	// http.Header, rebuilt (never modified) when they change, shared by
	// every invocation.
	headers []Header
	header  http.Header
	// verifying describes the running verify loop, for the simulator's
	// view; lastVerify is the outcome of the latest verify request.
	verifying  verifyProgress
	lastVerify *VerifyOutcome

	// verifyGen identifies the running verify loop; results of older loops
	// are ignored. verify is the running loop's task.
	verifyGen uint64
	verify    *task
	// deliverGen identifies the current delivery period (bumped whenever
	// queued events are failed); deliveries, the tasks delivering in that
	// period, are cancelled then.
	deliverGen uint64
	deliveries []*task
}

// subscribed reports whether events of typ go to h (verify always does).
func (h *hook) subscribed(typ string) bool {
	if typ == "verify" {
		return true
	}
	for _, t := range h.eventTypes {
		if t == typ {
			return true
		}
	}
	return false
}

// DevUser is DevRev's dev_user summary (created_by / modified_by).
type DevUser struct {
	Type           string         `json:"type"`
	DisplayID      string         `json:"display_id"`
	ID             string         `json:"id"`
	DisplayName    string         `json:"display_name"`
	DisplayPicture DisplayPicture `json:"display_picture"`
	Email          string         `json:"email"`
	FullName       string         `json:"full_name"`
	State          string         `json:"state"`
}

// DisplayPicture is a dev user's avatar artifact.
type DisplayPicture struct {
	DisplayID string      `json:"display_id"`
	ID        string      `json:"id"`
	File      PictureFile `json:"file"`
}

// PictureFile describes the avatar's file.
type PictureFile struct {
	Type string `json:"type"`
	Name string `json:"name"`
	Size int    `json:"size"`
}

// newDevUser is the owner of the mock's token: every webhook is created and
// modified by them.
func newDevUser(org string) DevUser {
	return DevUser{
		Type:        "dev_user",
		DisplayID:   "DEVU-1",
		ID:          fmt.Sprintf("don:identity:dvrv-us-1:devo/%s:devu/1", org),
		DisplayName: "revhook-dev",
		DisplayPicture: DisplayPicture{
			DisplayID: "ARTIFACT-1",
			ID:        fmt.Sprintf("don:core:dvrv-us-1:devo/%s:artifact/1", org),
			File:      PictureFile{Type: "image/png", Name: "avatar.png", Size: 2048},
		},
		Email:    "dev@example.com",
		FullName: "Revhook Developer",
		State:    "active",
	}
}

// WebhookObject is the webhook as DevRev's API returns it (seed 001).
type WebhookObject struct {
	CreatedBy    DevUser  `json:"created_by"`
	CreatedDate  string   `json:"created_date"`
	DisplayID    string   `json:"display_id"`
	EventTypes   []string `json:"event_types"`
	ID           string   `json:"id"`
	ModifiedBy   DevUser  `json:"modified_by"`
	ModifiedDate string   `json:"modified_date"`
	Headers      []Header `json:"headers,omitempty"`
	Secret       string   `json:"secret"`
	Status       string   `json:"status"`
	URL          string   `json:"url"`
}

// APIStatus is the status DevRev's API shows for a webhook in state st:
// only active, inactive or unverified (webhook-status). Degraded is the
// sender's internal state; the API shows such a webhook as active.
func APIStatus(st webhook.State) string {
	if st == webhook.Degraded {
		return string(webhook.Active)
	}
	return string(st)
}

// objectLocked renders h; s.mu must be held.
func (s *Server) objectLocked(h *hook) WebhookObject {
	types := append([]string{}, h.eventTypes...)
	return WebhookObject{
		CreatedBy: s.user, CreatedDate: h.created.UTC().Format(dateLayout),
		DisplayID: h.displayID, EventTypes: types, ID: h.id,
		ModifiedBy: s.user, ModifiedDate: h.modified.UTC().Format(dateLayout),
		Headers: append([]Header(nil), h.headers...),
		Secret:  h.secret, Status: APIStatus(h.m.State), URL: h.url,
	}
}

// validateURL checks a webhook URL: absolute http(s) with a host, https only
// when required.
func validateURL(raw string, requireHTTPS bool) *Error {
	if raw == "" {
		return missingField("url", "give the endpoint that receives events, e.g. http://127.0.0.1:8089/")
	}
	if len(raw) > maxURLLen {
		return invalidField("url", "the url is %d bytes; the limit is %d", len(raw), maxURLLen)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return invalidField("url", "%s", truncate(err.Error(), 200))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return invalidField("url", "the url must be absolute and start with http:// or https://, got %q", truncate(raw, 64))
	}
	if u.Hostname() == "" {
		return invalidField("url", "the url has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return invalidField("url", "port %q is out of range", truncate(p, 16))
		}
	}
	if requireHTTPS && u.Scheme != "https" {
		return notPermitted("url", "the url must use https:// (the mock runs with --require-https)", "https")
	}
	return nil
}

// validateEventTypes checks every type of the list named field against
// DevRev's webhook-event-type enum (the catalogue) and drops duplicates,
// keeping the order.
func validateEventTypes(field string, types []string) ([]string, *Error) {
	if len(types) > maxEventTypes {
		return nil, invalidField(field, "%d entries; the limit is %d", len(types), maxEventTypes)
	}
	out := make([]string, 0, len(types))
	seen := make(map[string]bool, len(types))
	for _, t := range types {
		if !event.Known(t) {
			return nil, invalidEnum(field, t, event.Types())
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out, nil
}

// secretOrGenerate validates a given secret or generates one when empty.
func (s *Server) secretOrGenerate(secret string) (string, *Error) {
	if secret == "" {
		if s.cfg.KeyEncoding == signature.KeyBase64 {
			return newSecretBase64(), nil
		}
		return newToken(24), nil // 32 URL-safe characters
	}
	if err := signature.ValidateSecret(secret); err != nil {
		return "", invalidField("secret", "%v", err)
	}
	if s.cfg.KeyEncoding == signature.KeyBase64 {
		if _, err := base64.StdEncoding.DecodeString(secret); err != nil {
			return "", invalidField("secret", "the mock derives keys from the secret's base64 decoding (--key-encoding base64) and this secret is not base64")
		}
	}
	return secret, nil
}

func newSecretBase64() string {
	b := []byte(newToken(18)) // 24 URL-safe characters from 18 random bytes
	// Re-encode in the standard alphabet so the secret decodes as standard base64.
	raw, _ := base64.RawURLEncoding.DecodeString(string(b))
	return base64.StdEncoding.EncodeToString(raw)
}

// createRequest is webhooks.create's body.
type createRequest struct {
	EventTypes []string   `json:"event_types"`
	Headers    []headerIn `json:"headers"`
	URL        string     `json:"url"`
	Secret     string     `json:"secret"`
}

func (s *Server) webhooksCreate(w http.ResponseWriter, r *http.Request) *Error {
	var req createRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	if e := validateURL(req.URL, s.cfg.RequireHTTPS); e != nil {
		return e
	}
	types, e := validateEventTypes("event_types", req.EventTypes)
	if e != nil {
		return e
	}
	headers, e := validateHeaders("headers", req.Headers)
	if e != nil {
		return e
	}
	secret, e := s.secretOrGenerate(req.Secret)
	if e != nil {
		return e
	}
	signer, err := signature.NewSigner(secret, s.cfg.Encoding, s.cfg.KeyEncoding)
	if err != nil {
		return invalidField("secret", "%v", err)
	}
	now := s.clk.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return &Error{Status: http.StatusServiceUnavailable, Type: TypeServiceUnavailable, Message: "the mock is shutting down", Detail: "no new webhooks"}
	}
	if len(s.hooks) >= s.cfg.MaxWebhooks {
		return badRequest("too many webhooks", "the mock holds at most %d; delete some with webhooks.delete", s.cfg.MaxWebhooks)
	}
	s.display++
	h := &hook{
		id: s.gen.WebhookID(), displayID: fmt.Sprintf("webhook-%d", s.display), display: s.display,
		url: req.URL, eventTypes: types, secret: secret, signer: signer,
		headers: headers, header: headerOf(headers), created: now, modified: now, m: webhook.New(s.cfg.DegradedAfter),
	}
	s.hooks[h.id] = h
	s.redactors.Store(h.id, s.redactorLocked(h))
	s.order = append(s.order, h.id)
	s.addEntry(deliverylog.Entry{Kind: KindTransition, WebhookID: h.id, To: string(webhook.Unverified),
		Message: fmt.Sprintf("created %s for %s: verification starts", h.displayID, redact.URL(h.url))})
	s.startVerifyLocked(h)
	s.saveHookLocked(h)
	if e := s.syncStore(); e != nil {
		s.removeHookLocked(h)
		return e
	}
	writeJSON(w, http.StatusCreated, map[string]any{"webhook": s.objectLocked(h)})
	return nil
}

// idRequest is the body of webhooks.get and webhooks.delete.
type idRequest struct {
	ID string `json:"id"`
}

// lookupLocked finds a webhook by DON id or display id; s.mu must be held.
func (s *Server) lookupLocked(id string) (*hook, *Error) {
	if id == "" {
		return nil, missingField("id", "give the webhook's id (or display id)")
	}
	if len(id) > maxIDLen {
		return nil, invalidID("id", "the id is %d bytes; the limit is %d", len(id), maxIDLen)
	}
	if h, ok := s.hooks[id]; ok {
		return h, nil
	}
	for _, h := range s.hooks {
		if h.displayID == id {
			return h, nil
		}
	}
	return nil, notFound("webhook not found", "no webhook has id %q", truncate(id, 128))
}

// readID reads the id of webhooks.get (GET ?id= or a body) and
// webhooks.delete.
func (s *Server) readID(r *http.Request) (string, *Error) {
	if r.Method == http.MethodGet {
		q, e := query(r, "id")
		if e != nil {
			return "", e
		}
		if len(q["id"]) > 1 {
			return "", invalidField("id", "give id once, not %d times", len(q["id"]))
		}
		return q.Get("id"), nil
	}
	var req idRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return "", e
	}
	return req.ID, nil
}

// withHookLocked reads the id a request names, finds that webhook and runs f
// on it with s.mu held.
func (s *Server) withHookLocked(r *http.Request, f func(h *hook)) *Error {
	id, e := s.readID(r)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, e := s.lookupLocked(id)
	if e != nil {
		return e
	}
	f(h)
	return nil
}

func (s *Server) webhooksGet(w http.ResponseWriter, r *http.Request) *Error {
	return s.withHookLocked(r, func(h *hook) {
		writeJSON(w, http.StatusOK, map[string]any{"webhook": s.objectLocked(h)})
	})
}

// webhooksList answers every webhook: webhooks.list takes no parameters
// (webhooks-list-request is an empty object), so any query parameter or
// body field is refused.
func (s *Server) webhooksList(w http.ResponseWriter, r *http.Request) *Error {
	if r.Method == http.MethodPost {
		var req struct{}
		if e := s.readJSON(r, &req, true); e != nil {
			return e
		}
	}
	s.mu.Lock()
	out := make([]WebhookObject, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.objectLocked(s.hooks[id]))
	}
	s.mu.Unlock()
	// Encoded and written without the lock: a slow client holds nobody up.
	writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
	return nil
}

// eventTypesUpdate is webhooks.update's event_types
// (webhooks-update-request-event-types): add and remove, or set.
type eventTypesUpdate struct {
	Add    []string  `json:"add"`
	Remove []string  `json:"remove"`
	Set    *[]string `json:"set"`
}

// updateRequest is webhooks.update's body (webhooks-update-request).
type updateRequest struct {
	ID         string            `json:"id"`
	Action     *string           `json:"action"`
	EventTypes *eventTypesUpdate `json:"event_types"`
	Headers    *headersUpdate    `json:"headers"`
	Secret     *string           `json:"secret"`
	URL        *string           `json:"url"`
}

// updateAllowedActions is DevRev's webhooks-update-action enum.
var updateAllowedActions = []string{"activate", "deactivate"}

// validUpdate is an update request whose fields were checked before the
// webhook is looked up.
type validUpdate struct {
	req                      updateRequest
	newSecret                string
	signer                   *signature.Signer
	addTypes, rmTypes, types []string
	headers                  validatedHeaderOps
}

// validateUpdate checks every field of req that does not depend on the
// webhook.
func (s *Server) validateUpdate(req updateRequest) (validUpdate, *Error) {
	v := validUpdate{req: req}
	if req.ID == "" {
		return v, missingField("id", "give the id (or display id) of the webhook to update")
	}
	if req.Action != nil && *req.Action != "activate" && *req.Action != "deactivate" {
		return v, invalidEnum("action", *req.Action, updateAllowedActions)
	}
	if req.URL != nil {
		if *req.URL == "" {
			return v, invalidField("url", "the url cannot be empty; leave the field out to keep it")
		}
		if e := validateURL(*req.URL, s.cfg.RequireHTTPS); e != nil {
			return v, e
		}
	}
	if req.Secret != nil {
		sec, e := s.secretOrGenerate(*req.Secret)
		if e != nil {
			return v, e
		}
		signer, err := signature.NewSigner(sec, s.cfg.Encoding, s.cfg.KeyEncoding)
		if err != nil {
			return v, invalidField("secret", "%v", err)
		}
		v.newSecret, v.signer = sec, signer
	}
	if et := req.EventTypes; et != nil {
		if et.Set != nil && (et.Add != nil || et.Remove != nil) {
			return v, notPermitted("event_types.set", "set is mutually exclusive with add and remove")
		}
		var e *Error
		if v.addTypes, e = validateEventTypes("event_types.add", et.Add); e != nil {
			return v, e
		}
		if v.rmTypes, e = validateEventTypes("event_types.remove", et.Remove); e != nil {
			return v, e
		}
		if et.Set != nil {
			if v.types, e = validateEventTypes("event_types.set", *et.Set); e != nil {
				return v, e
			}
		}
	}
	if req.Headers != nil {
		var e *Error
		if v.headers, e = req.Headers.validate(); e != nil {
			return v, e
		}
	}
	return v, nil
}

func (s *Server) webhooksUpdate(w http.ResponseWriter, r *http.Request) *Error {
	var req updateRequest
	if e := s.readJSON(r, &req, false); e != nil {
		return e
	}
	v, e := s.validateUpdate(req)
	if e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	h, e := s.lookupLocked(req.ID)
	if e != nil {
		return e
	}
	if e := s.applyUpdateLocked(h, v); e != nil {
		return e
	}
	s.saveHookLocked(h)
	if e := s.syncStore(); e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, map[string]any{"webhook": s.objectLocked(h)})
	return nil
}

// applyUpdateLocked changes h as v says and feeds the state machine; it
// changes nothing when it refuses v. s.mu must be held.
func (s *Server) applyUpdateLocked(h *hook, v validUpdate) *Error {
	req := v.req
	types := h.eventTypes
	if req.EventTypes != nil {
		if req.EventTypes.Set != nil {
			types = v.types
		}
		types = mergeTypes(types, v.addTypes, v.rmTypes)
		if len(types) > maxEventTypes {
			return invalidField("event_types", "%d entries; the limit is %d", len(types), maxEventTypes)
		}
	}
	headers := h.headers
	if req.Headers != nil {
		var e *Error
		if headers, e = v.headers.apply(h.headers); e != nil {
			return e
		}
	}
	h.eventTypes = types
	if req.Headers != nil {
		h.headers, h.header = headers, headerOf(headers)
	}
	changed := []string{}
	if req.URL != nil && *req.URL != h.url {
		h.url = *req.URL
		changed = append(changed, "url")
	}
	if v.signer != nil && v.newSecret != h.secret {
		h.secret, h.signer = v.newSecret, v.signer
		changed = append(changed, "secret")
	}
	h.modified = s.clk.Now()
	s.redactors.Store(h.id, s.redactorLocked(h))
	if len(changed) > 0 {
		s.applyLocked(h, webhook.Changed, strings.Join(changed, " and ")+" changed")
	}
	if req.Action != nil {
		in := webhook.Activate
		if *req.Action == "deactivate" {
			in = webhook.Deactivate
		}
		s.applyLocked(h, in, "action "+*req.Action)
	}
	return nil
}

// mergeTypes returns base plus add minus remove, without duplicates.
func mergeTypes(base, add, remove []string) []string {
	drop := make(map[string]bool, len(remove))
	for _, t := range remove {
		drop[t] = true
	}
	out := make([]string, 0, len(base)+len(add))
	seen := make(map[string]bool)
	for _, list := range [][]string{base, add} {
		for _, t := range list {
			if !drop[t] && !seen[t] {
				seen[t] = true
				out = append(out, t)
			}
		}
	}
	return out
}

func (s *Server) webhooksDelete(w http.ResponseWriter, r *http.Request) *Error {
	var e *Error
	err := s.withHookLocked(r, func(h *hook) {
		s.removeHookLocked(h)
		s.note(h.id, "", fmt.Sprintf("deleted %s: no further deliveries", h.displayID))
		if e = s.syncStore(); e == nil {
			writeJSON(w, http.StatusOK, map[string]any{})
		}
	})
	if err != nil {
		return err
	}
	return e
}

// removeHookLocked stops h's work and forgets it. s.mu must be held.
func (s *Server) removeHookLocked(h *hook) {
	s.stopVerifyLocked(h)
	s.failQueuedLocked(h)
	delete(s.hooks, h.id)
	for i, o := range s.order {
		if o == h.id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.dropHook(h.id)
}
