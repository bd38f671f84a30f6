package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/firebreak-ir/firebreak/internal/auth"
	"github.com/firebreak-ir/firebreak/internal/config"
)

// token create prints a new API token for a user; only its hash is stored.
func token(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("%w: want 'token create --user NAME'", errUsage)
	}
	var user, name string
	var ttl time.Duration
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	c, err := loadConfig(env, fs, args[1:], func(c *config.Config, fs *flag.FlagSet) {
		c.StoreFlags(fs)
		fs.StringVar(&user, "user", "", "the user the token acts as (required)")
		fs.StringVar(&name, "name", "cli", "a label for the token")
		fs.DurationVar(&ttl, "ttl", 0, "lifetime, such as 720h; 0 means no expiry")
	})
	if err != nil {
		return err
	}
	if user == "" {
		return fmt.Errorf("%w: --user is required", errUsage)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.CheckSchema(ctx); err != nil {
		return err
	}
	u, _, err := st.UserByName(ctx, user)
	if err != nil {
		return err
	}
	var exp *time.Time
	if ttl > 0 {
		t := time.Now().Add(ttl).UTC()
		exp = &t
	}
	tok, hash := auth.NewToken()
	if _, err := st.CreateToken(ctx, "cli", u.ID, name, hash, exp); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, tok)
	return nil
}
