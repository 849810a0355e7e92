package main

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"shopflow/errs"
	"shopflow/store"
)

func (c *cli) apiKeyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "api-key",
		Short: "Create and revoke API keys for machine clients (role ingest)",
		Long: `Create and revoke API keys. A machine client, such as another shop's order feed, sends
its key as the X-API-Key header and acts with the key's role (ingest: POST /api/v1/ingest/...).
Only a hash of each key is stored: the key itself is shown once, when it is created.`,
	}
	var name, role string
	create := &cobra.Command{
		Use:   "create --name NAME [--role ingest]",
		Short: "Create an API key and print it, once, with its id",
		Long: `Create an API key and print its id and the key itself to standard output, as
"id <uuid>" and "key <key>" lines. The key is never shown again: store it now. Revoke it with
'shopflow admin api-key revoke ID'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			name = strings.TrimSpace(name)
			if name == "" || utf8.RuneCountInString(name) > 100 {
				return fmt.Errorf("--name must be 1 to 100 characters")
			}
			if role != store.RoleIngest {
				return fmt.Errorf("--role must be %q, got %q", store.RoleIngest, role)
			}
			return c.withKeyStore(cmd.Context(), func(ctx context.Context, st *store.Store) error {
				k, key, err := st.CreateAPIKey(ctx, name, role)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "id   %s\nname %s\nrole %s\nkey  %s\n", k.ID, k.Name, k.Role, key)
				fmt.Fprintln(c.stderr, "The key is shown only this once; store it now.")
				return nil
			})
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the key is for, e.g. the client's name (required, 1 to 100 characters)")
	create.Flags().StringVar(&role, "role", store.RoleIngest, "the key's role; ingest is the only one")
	_ = create.MarkFlagRequired("name")

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key: its next request is refused",
		Long:  "Revoke the API key with this id (printed by 'create'). Revoking a revoked key changes nothing.",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := uuid.Parse(args[0])
			if err != nil {
				return fmt.Errorf("ID must be an API key id (a UUID), got %q", args[0])
			}
			return c.withKeyStore(cmd.Context(), func(ctx context.Context, st *store.Store) error {
				err := st.RevokeAPIKey(ctx, id.String())
				if errs.Is(err, errs.NotFound) {
					return fmt.Errorf("no API key has id %s", id)
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(c.stdout, "api key %s revoked\n", id)
				return nil
			})
		},
	}
	cmd.AddCommand(create, revoke)
	return cmd
}

// withKeyStore runs fn with a store over the configured database, closed afterwards.
func (c *cli) withKeyStore(ctx context.Context, fn func(ctx context.Context, st *store.Store) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	pool, err := store.Open(ctx, cfg.DatabaseURL, nil)
	if err != nil {
		return err
	}
	defer pool.Close()
	return fn(ctx, store.New(pool))
}
