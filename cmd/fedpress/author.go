package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"fedpress/federation"
	"fedpress/handlers"
	"fedpress/models"
)

// cmdAuthorAdd creates an author from a script: the password comes on stdin
// so it never shows in the process list.
func cmdAuthorAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress author add", stderr, &cfg, false)
	setUsage(fs, "usage: fedpress author add --username U --name N --password-stdin [--role owner|editor|author]\n\n"+
		"Creates an account. The password is read from the first line of standard input,\n"+
		"so it never shows in the process list:\n\n"+
		"  printf '%s\\n' \"$PASSWORD\" | fedpress author add --username alice --name Alice --password-stdin", storeOnly()...)
	username := fs.String("username", "", "login and fediverse handle (a-z, 0-9, _)")
	name := fs.String("name", "", "display name")
	pwStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	role := fs.String("role", models.RoleAuthor, "owner, editor or author (the first account ever is the owner whatever this says)")
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *username == "" || *name == "" || !*pwStdin {
		return fmt.Errorf("%w: --username, --name and --password-stdin are required", errUsage)
	}
	if !models.ValidRole(*role) {
		return fmt.Errorf("%w: --role is owner, editor or author, not %q", errUsage, *role)
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if len(password) < 10 {
		return fmt.Errorf("%w: the password needs at least 10 characters", errUsage)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, st, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	u := strings.ToLower(*username)
	if err := models.ValidUsername(u, st.BlogUsername); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	priv, pub, err := federation.GenerateKeyPair()
	if err != nil {
		return err
	}
	a := &models.Author{Username: u, Name: *name, Role: *role, PasswordHash: string(hash), PrivateKeyPEM: priv, PublicKeyPEM: pub}
	if err := store.CreateAuthor(ctx, a); err != nil {
		if models.IsDuplicate(err) {
			return fmt.Errorf("there is already an account named %q: choose another --username", u)
		}
		return err
	}
	// The setup URL is for the first author only; a scripted one closes it.
	if st.SetupToken != "" {
		if _, err := store.ConsumeSetupToken(ctx, st.SetupToken); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "author %s created (@%s), role %s\n", a.Username, a.Username, a.Role)
	return nil
}

// cmdAuthorResetPassword prints a one-time link that sets a new password
// for an author who lost theirs: the way back in when the blog sends no
// e-mail. The link is valid for models.PasswordResetTTL.
func cmdAuthorResetPassword(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var cfg config
	fs := newFlagSet("fedpress author reset-password", stderr, &cfg, false)
	if err := parseFlags(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: give one USERNAME: fedpress author reset-password [--base-url URL] USERNAME", errUsage)
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	store, _, err := openStore(ctx, &cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	username := strings.ToLower(strings.TrimPrefix(fs.Arg(0), "@"))
	a, err := store.AuthorByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("%w: no author %q", errUsage, username)
	}
	if err != nil {
		return err
	}
	token, err := store.IssuePasswordReset(ctx, a.ID, time.Now().UTC())
	if err != nil {
		return err
	}
	urls, _ := federation.NewURLs(cfg.BaseURL)
	fmt.Fprintf(stdout, "Open this link within %d minutes to choose a new password for %s (it works once and logs the account out everywhere):\n\n  %s\n\n",
		int(models.PasswordResetTTL/time.Minute), a.Username, handlers.PasswordResetURL(urls, token))
	return nil
}
