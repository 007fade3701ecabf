package web

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestMeGivesICEServers: /me hands the web softphone the configured STUN
// and TURN servers, and an empty list when there are none.
func TestMeGivesICEServers(t *testing.T) {
	want := []ICEServer{
		{URLs: []string{"stun:stun.example.com:3478"}},
		{URLs: []string{"turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:5349"}, Username: "earshot", Credential: "s3cret"},
	}
	for _, tt := range []struct {
		name    string
		servers []ICEServer
		want    []ICEServer
	}{
		{"configured", want, want},
		{"none", nil, []ICEServer{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(o *Options) { o.ICEServers = tt.servers })
			res := e.login("alice").call("GET", "/api/v1/me", nil)
			expect(t, "me", res, 200)
			var me struct {
				ICEServers []ICEServer `json:"ice_servers"`
			}
			if err := json.Unmarshal([]byte(res.body), &me); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(me.ICEServers, tt.want) {
				t.Fatalf("ice_servers %+v, want %+v", me.ICEServers, tt.want)
			}
		})
	}
}
