package web

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigHasNoSecrets(t *testing.T) {
	e := newEnv(t)
	res := e.login("admin").call("GET", "/api/v1/config", nil)
	expect(t, "get config", res, 200)
	body := string(res.body)
	for _, secret := range []string{"argon2id", "sip-secret", "trunk-secret", "db-secret", "password_hash"} {
		if strings.Contains(body, secret) {
			t.Errorf("configuration leaks %q: %s", secret, body)
		}
	}
	if !strings.Contains(body, "postgres://earshot:REDACTED@127.0.0.1/earshot") {
		t.Errorf("database not shown redacted: %s", body)
	}
}

func TestPutConfigKeepsAndHashesPasswords(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	var cfg map[string]any
	json.Unmarshal(admin.call("GET", "/api/v1/config", nil).body, &cfg)
	users := cfg["users"].([]any)
	cfg["users"] = append(users, map[string]any{"name": "dave", "display": "Dave", "roles": []string{"agent"}, "password": "dave-password"})
	cfg["teams"].([]any)[0].(map[string]any)["agents"] = []string{"alice", "carol", "dave"}

	res := admin.call("PUT", "/api/v1/config", cfg)
	expect(t, "put config", res, 200)
	if strings.Contains(string(res.body), "argon2id") || strings.Contains(string(res.body), "dave-password") {
		t.Fatalf("answer leaks a secret: %s", res.body)
	}
	now := e.eng.Config()
	if now.Database != "postgres://earshot:db-secret@127.0.0.1/earshot" {
		t.Fatalf("database became %q", now.Database)
	}
	alice, _ := now.User("alice")
	dave, _ := now.User("dave")
	if alice.SIPPassword != "sip-secret-alice" || dave.Password != "" || !strings.HasPrefix(dave.PasswordHash, "$argon2id$") {
		t.Fatalf("secrets not merged: alice %+v, dave %+v", alice, dave)
	}
	if tr := now.Trunks[0]; tr.Password != "trunk-secret" {
		t.Fatalf("trunk password became %q", tr.Password)
	}
	e.login("alice") // her old password still works
	d := e.anon()
	expect(t, "dave logs in", d.call("POST", "/api/v1/login", map[string]string{"user": "dave", "password": "dave-password"}), 200)
}

func TestPutConfigRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	admin := e.login("admin")
	var cfg map[string]any
	json.Unmarshal(admin.call("GET", "/api/v1/config", nil).body, &cfg)
	before := e.eng.Config()

	bad := func(mut func(map[string]any)) map[string]any {
		var c map[string]any
		b, _ := json.Marshal(cfg)
		json.Unmarshal(b, &c)
		mut(c)
		return c
	}
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"new user without password", bad(func(c map[string]any) {
			c["users"] = append(c["users"].([]any), map[string]any{"name": "eve", "roles": []string{"agent"}})
		}), `new user "eve" needs a password`},
		{"short password", bad(func(c map[string]any) {
			c["users"].([]any)[3].(map[string]any)["password"] = "short"
		}), "at least 8"},
		{"unknown team member", bad(func(c map[string]any) {
			c["teams"].([]any)[0].(map[string]any)["agents"] = []string{"ghost"}
		}), `"ghost" is not a user`},
		{"unknown field", bad(func(c map[string]any) { c["colour"] = "red" }), `unknown field "colour"`},
		{"wrong type", bad(func(c map[string]any) { c["queues"] = "sales" }), `field "queues" must be a list`},
		{"password hash smuggled", bad(func(c map[string]any) {
			c["users"].([]any)[3].(map[string]any)["password_hash"] = "$2a$04$x"
		}), `unknown field "password_hash"`},
	} {
		res := admin.call("PUT", "/api/v1/config", tc.body)
		expect(t, tc.name, res, 400)
		if !strings.Contains(res.errMsg(), tc.want) {
			t.Errorf("%s: message %q does not contain %q", tc.name, res.errMsg(), tc.want)
		}
		if e.eng.Config() != before {
			t.Fatalf("%s: configuration changed", tc.name)
		}
	}
}

func TestUsersAndPasswords(t *testing.T) {
	e := newEnv(t)
	admin, alice := e.login("admin"), e.login("alice")

	expect(t, "agent adds user", alice.call("POST", "/api/v1/users", map[string]any{"name": "x", "password": "xxxxxxxx", "roles": []string{"agent"}}), 403)
	expect(t, "add existing", admin.call("POST", "/api/v1/users", map[string]any{"name": "bob", "password": "xxxxxxxx", "roles": []string{"agent"}}), 409)
	expect(t, "add without password", admin.call("POST", "/api/v1/users", map[string]any{"name": "erin", "roles": []string{"agent"}}), 400)
	expect(t, "add with bad role", admin.call("POST", "/api/v1/users", map[string]any{"name": "erin", "password": "erin-password", "roles": []string{"boss"}}), 400)
	res := admin.call("POST", "/api/v1/users", map[string]any{"name": "erin", "display": "Erin", "password": "erin-password", "roles": []string{"supervisor"}})
	expect(t, "add erin", res, 201)
	if strings.Contains(string(res.body), "argon2") {
		t.Fatalf("answer leaks the hash: %s", res.body)
	}
	expect(t, "erin logs in", e.anon().call("POST", "/api/v1/login", map[string]string{"user": "erin", "password": "erin-password"}), 200)

	expect(t, "alice changes bob's", alice.call("PUT", "/api/v1/users/bob/password", map[string]string{"old_password": "password-1", "password": "new-password"}), 403)
	expect(t, "alice with a wrong old password", alice.call("PUT", "/api/v1/users/alice/password", map[string]string{"old_password": "nope-nope", "password": "new-password"}), 403)
	expect(t, "alice with a short new password", alice.call("PUT", "/api/v1/users/alice/password", map[string]string{"old_password": "password-1", "password": "short"}), 400)
	expect(t, "alice changes hers", alice.call("PUT", "/api/v1/users/alice/password", map[string]string{"old_password": "password-1", "password": "new-password"}), 204)
	expect(t, "old password no longer works", e.anon().call("POST", "/api/v1/login", map[string]string{"user": "alice", "password": "password-1"}), 401)
	expect(t, "new one does", e.anon().call("POST", "/api/v1/login", map[string]string{"user": "alice", "password": "new-password"}), 200)
	expect(t, "admin resets bob's", admin.call("PUT", "/api/v1/users/bob/password", map[string]string{"password": "reset-password"}), 204)
	expect(t, "admin resets a stranger's", admin.call("PUT", "/api/v1/users/nobody/password", map[string]string{"password": "reset-password"}), 404)
	expect(t, "bob logs in", e.anon().call("POST", "/api/v1/login", map[string]string{"user": "bob", "password": "reset-password"}), 200)
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"/var/lib/earshot/earshot.db":        "/var/lib/earshot/earshot.db",
		"postgres://u:p@h/db":                "postgres://u:REDACTED@h/db",
		"postgres://u@h/db":                  "postgres://u@h/db",
		"postgres://h/db?password=p&x=1":     "postgres://h/db?password=REDACTED&x=1",
		"postgres:///db?host=/var/run/pgsql": "postgres:///db?host=/var/run/pgsql",
	} {
		if got := redactDSN(in); got != want {
			t.Errorf("redactDSN(%q) = %q, want %q", in, got, want)
		}
	}
}
