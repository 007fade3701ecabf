package web

// ICEServer is one STUN or TURN server given to the web softphones, in the
// shape of the browser's RTCIceServer.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}
