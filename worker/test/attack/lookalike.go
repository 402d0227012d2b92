package attack

import (
	"fmt"

	"github.com/chatwidget/identity/worker/test/contract"
)

// The look-alike victims: besides V (user_id VictimID), VN, known by a
// user_id with a non-ASCII letter in its composed form (NFC), and VE, known
// by an email with one. Each has a session (SVN, SVE) and, like V, no token
// of another identity may see it.
const (
	VictimNFCID    = "u-zo\u00eb"
	VictimNFCEmail = "zo\u00eb@shop-a.example"
)

// lookAlike is a verified identity whose user_id or email looks like a
// victim's, or is the victim's under some Unicode folding or normalization
// that the contract does not do: the identity key is the user_id exactly
// as sent, else the email with only its ASCII letters lower-cased.
type lookAlike struct {
	name, why string
	auth      contract.AuthenticateRequest
	victim    string // the session of the identity it mimics
}

var lookAlikeIDs = []lookAlike{
	{"LAUpper", "the victim's user_id in upper case", contract.AuthenticateRequest{UserID: "U-VICTIM"}, "SV"},
	{"LATrailingSpace", "the victim's user_id and a trailing space", contract.AuthenticateRequest{UserID: VictimID + " "}, "SV"},
	{"LALeadingSpace", "a space and the victim's user_id", contract.AuthenticateRequest{UserID: " " + VictimID}, "SV"},
	{"LATrailingDot", "the victim's user_id and a trailing dot", contract.AuthenticateRequest{UserID: VictimID + "."}, "SV"},
	{"LAFullwidth", "the victim's user_id with a fullwidth u (NFKC folds it)", contract.AuthenticateRequest{UserID: "\uff55-victim"}, "SV"},
	{"LADotless", "the victim's user_id with a dotless i", contract.AuthenticateRequest{UserID: "u-v\u0131ctim"}, "SV"},
	{"LACyrillic", "the victim's user_id with a Cyrillic i", contract.AuthenticateRequest{UserID: "u-v\u0456ctim"}, "SV"},
	{"LAHyphen", "the victim's user_id with U+2010 for its hyphen", contract.AuthenticateRequest{UserID: "u\u2010victim"}, "SV"},
	{"LAJoiner", "the victim's user_id and a combining grapheme joiner (shows nothing)", contract.AuthenticateRequest{UserID: VictimID + "\u034f"}, "SV"},
	{"LAVariation", "the victim's user_id and a variation selector", contract.AuthenticateRequest{UserID: VictimID + "\ufe0f"}, "SV"},
	{"LAEmailOfUser", "the victim's email, upper-cased, as an email identity (the victim is known by user_id)", contract.AuthenticateRequest{Email: "VICTIM@SHOP-A.EXAMPLE"}, "SV"},
	{"LANFD", "VN's user_id decomposed (NFD)", contract.AuthenticateRequest{UserID: "u-zoe\u0308"}, "SVN"},
	{"LANFCUpper", "VN's user_id in upper case", contract.AuthenticateRequest{UserID: "U-ZO\u00cb"}, "SVN"},
	{"LAEmailNFD", "VE's email decomposed (NFD)", contract.AuthenticateRequest{Email: "zoe\u0308@shop-a.example"}, "SVE"},
	{"LAEmailUpper", "VE's email upper-cased by Unicode (only ASCII letters fold)", contract.AuthenticateRequest{Email: "ZO\u00cb@SHOP-A.EXAMPLE"}, "SVE"},
	{"LAEmailFullwidth", "VE's email with a fullwidth z", contract.AuthenticateRequest{Email: "\uff5ao\u00eb@shop-a.example"}, "SVE"},
	{"LAEmailJoiner", "VE's email with a combining grapheme joiner", contract.AuthenticateRequest{Email: "zo\u00eb\u034f@shop-a.example"}, "SVE"},
	{"LAEmailAsUserID", "VE's email as a user_id", contract.AuthenticateRequest{UserID: VictimNFCEmail}, "SVE"},
	{"LAUserIDAsEmail", "VN's user_id at VE's domain, as an email", contract.AuthenticateRequest{Email: "u-zo\u00eb@shop-a.example"}, "SVE"},
}

// lookAlikeWorld are the steps of the look-alike victims and identities.
func lookAlikeWorld() []contract.Step {
	steps := []contract.Step{
		{Name: "VN", Org: "A", Auth: &contract.AuthenticateRequest{UserID: VictimNFCID}},
		{Name: "VE", Org: "A", Auth: &contract.AuthenticateRequest{Email: VictimNFCEmail}},
		// The same address as VE's with only its ASCII letters in upper
		// case is VE: the class's one identity that must see SVE.
		{Name: "VESame", Org: "A", Auth: &contract.AuthenticateRequest{Email: "ZO\u00eb@SHOP-A.EXAMPLE"}},
		{Name: "SVN", By: "VN", Session: contract.SessionRequest{}},
		{Name: "SVE", By: "VE", Session: contract.SessionRequest{}},
	}
	for _, l := range lookAlikeIDs {
		auth := l.auth
		steps = append(steps, contract.Step{Name: l.name, Org: "A", Auth: &auth})
	}
	return steps
}

// lookAlikeIdentityCases: a verified token of each look-alike identity
// lists none of the victims' sessions, and reads and posts to the one it
// mimics as to a session that does not exist; the same email with only
// its ASCII letters in another case is the victim.
func lookAlikeIdentityCases() []Case {
	const cl = "identity-look-alike"
	var cs []Case
	for _, l := range lookAlikeIDs {
		tok, who := "{"+l.name+"}", fmt.Sprintf("%s (%+q) ", l.why, l.auth.UserID+l.auth.Email)
		cs = append(cs,
			wc(cl, who+"lists none of the victims' sessions", "GET /v1/widget/sessions?limit=100", tok, "", ok(listExactly())),
			wc(cl, who+"reads "+l.victim, "GET /v1/widget/sessions/{"+l.victim+"}", tok, "", hiddenWant),
			wc(cl, who+"posts to "+l.victim, "POST /v1/widget/sessions/{"+l.victim+"}/messages", tok, attackContent, hiddenWant))
	}
	return append(cs,
		wc(cl, "VE's email with its ASCII letters upper-cased is VE: lists exactly SVE", "GET /v1/widget/sessions?limit=100", "{VESame}", "", ok(listExactly("SVE"))),
		wc(cl, "VN lists exactly SVN", "GET /v1/widget/sessions?limit=100", "{VN}", "", ok(listExactly("SVN"))))
}
