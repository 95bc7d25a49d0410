package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/linli-community/linli/abci/tx"
)

func runTx(ctx context.Context, env *Env, args []string) error {
	var names []string
	for _, t := range tx.Types() {
		names = append(names, string(t))
	}
	fs := newFlags(env, "tx", "TYPE BODY_JSON   (TYPE: "+strings.Join(names, ", ")+"; times as unix seconds or China-time dates: \"vote_end\":\"2026-12-20 20:00\")")
	cf := addClientFlags(fs)
	as := fs.String("as", "", "sign as the custodial key of chat user CHANNEL:USER instead of the admin key")
	args, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(args) != 2 {
		fs.Usage()
		return fmt.Errorf("tx wants TYPE and BODY_JSON")
	}
	raw, err := resolveDates([]byte(args[1]), time.Now())
	if err != nil {
		return err
	}
	body, secret, isProxy, err := decodeProxyBody(tx.Type(args[0]), raw)
	if !isProxy {
		body, err = decodeTxBody(tx.Type(args[0]), raw)
	}
	if err != nil {
		return err
	}
	c, err := cf.dial()
	if err != nil {
		return err
	}
	key, err := c.signer(*as)
	if err != nil {
		return err
	}
	r, err := c.submit(ctx, key, body)
	if perr := printReceipt(env, r, err); perr != nil || secret == "" {
		return perr
	}
	printAgentCode(env, secret, r.Created)
	return nil
}

// decodeTxBody decodes a body as typed on the command line. member.bind is
// typed with the code, {"unit","relation","code"}: submit turns the code
// into the proof the chain wants, and the code never goes on the wire.
func decodeTxBody(t tx.Type, raw []byte) (tx.Body, error) {
	if t == tx.TypeSheetEnter {
		return decodeSheetEnter(raw)
	}
	if t != tx.TypeMemberBind {
		return tx.DecodeBody(t, raw)
	}
	var in struct {
		Unit     string `json:"unit"`
		Relation string `json:"relation"`
		Code     string `json:"code"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("member.bind wants {\"unit\",\"relation\",\"code\"}: %w", err)
	}
	code, ok := tx.NormalizeBindCode(in.Code)
	if !ok {
		return nil, fmt.Errorf("member.bind: code must be %d digits", tx.BindCodeDigits)
	}
	if in.Relation == "" {
		in.Relation = tx.RelationOwner
	}
	return &tx.MemberBind{Unit: in.Unit, Relation: in.Relation, Code: code}, nil
}

// decodeSheetEnter decodes a sheet.enter typed by a person: the code as
// printed, with its spaces or dashes, which the chain wants without.
func decodeSheetEnter(raw []byte) (tx.Body, error) {
	var in tx.SheetEnter
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("sheet.enter wants {\"proposal\",\"code\",\"choice\",\"scan_sha256\"}: %w", err)
	}
	code, ok := tx.NormalizeSheetCode(in.Code)
	if !ok {
		return nil, fmt.Errorf("sheet.enter: code must be %d digits", tx.SheetCodeDigits)
	}
	in.Code = code
	return tx.DecodeBody(tx.TypeSheetEnter, tx.Canonical(&in))
}
