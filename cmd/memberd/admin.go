package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/memberd/memberd"
	"github.com/memberd/memberd/internal/backend"
	"github.com/memberd/memberd/service"
)

func createCompany(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("company create", "memberd company create --title TITLE [--database FILE|URL] [--json]", `
Creates a company and an API key with every permission, and prints both.
The key is shown only now: memberd stores its hash.

Example:
  memberd company create --title "Acme" --json
  {"company_id":"biz_...","api_key":"apik_..."}`, stderr)
	title := fs.String("title", "", "the company's display name (required)")
	db := databaseFlag(fs)
	asJSON := fs.Bool("json", false, `print {"company_id": ..., "api_key": ...} as JSON`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if strings.TrimSpace(*title) == "" {
		fs.Usage()
		return fmt.Errorf("--title is required")
	}
	store, err := backend.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := service.New(service.Config{Store: store})
	c, err := svc.CreateCompany(ctx, service.CompanyParams{Title: *title})
	if err != nil {
		return err
	}
	_, secret, err := svc.CreateAPIKey(ctx, "", c.ID, "default", nil)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			CompanyID string `json:"company_id"`
			APIKey    string `json:"api_key"`
		}{c.ID, secret})
	}
	fmt.Fprintf(stdout, "Created company %s (%s).\nAPI key (shown once): %s\n", c.ID, c.Title, secret)
	return nil
}

func createAPIKey(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("apikey create", "memberd apikey create --company biz_... [--permissions a,b,c] [--name NAME] [--database FILE|URL] [--json]", `
Creates an API key for a company and prints it (shown only now). Without
--permissions the key has every permission. Permissions:
  `+strings.Join(memberd.AllPermissions, "\n  ")+`

Example:
  memberd apikey create --company biz_XXXXXXXXXXXXXX --permissions member:basic:read --json`, stderr)
	company := fs.String("company", "", "the company's id, biz_... (required)")
	perms := fs.String("permissions", "", "comma-separated permissions (default: all)")
	name := fs.String("name", "", "a label for the key")
	db := databaseFlag(fs)
	asJSON := fs.Bool("json", false, `print {"api_key": ...} as JSON`)
	if err := parse(fs, args); err != nil {
		return err
	}
	if *company == "" {
		fs.Usage()
		return fmt.Errorf("--company is required")
	}
	var list []string
	for _, p := range strings.Split(*perms, ",") {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	store, err := backend.Open(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	svc := service.New(service.Config{Store: store})
	k, secret, err := svc.CreateAPIKey(ctx, "", *company, *name, list)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(struct {
			APIKey string `json:"api_key"`
		}{secret})
	}
	fmt.Fprintf(stdout, "Created API key %s for %s with %d permissions.\nAPI key (shown once): %s\n", k.ID, k.CompanyID, len(k.Permissions), secret)
	return nil
}

func migrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "memberd migrate [--database FILE|URL]", `
Applies the schema migrations the database has not had yet, and exits.
memberd serve also migrates on start; this is for doing it ahead of time.`, stderr)
	db := databaseFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	applied, err := backend.Migrate(ctx, *db)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "%s is up to date.\n", *db)
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(stdout, "applied %s\n", m)
	}
	return nil
}
