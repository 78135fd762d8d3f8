package dnsbl

import "net/netip"

// Catalogue returns the lists mailcred asks, IP lists first, built afresh
// on each call so that no caller can change what another sees.
//
// Facts come from the operators' own pages; each List.Source names them.
// What could not be confirmed there is marked "unverified".
//
// Deliberately absent: SORBS (dnsbl.sorbs.net and its sub-zones). Proofpoint
// decommissioned it on 2024-06-05 and emptied the zones; any answer it still
// gives is meaningless, so it must not be queried at all. Also absent:
// lists that need a paid or per-user key (Abusix, Invaluement) and the
// Spamhaus sub-zones that ZEN already combines (query ZEN once, not its parts).
func Catalogue() []List {
	return []List{
		spamhausZEN(),
		spamCop(),
		barracuda(),
		psbl(),
		mailspikeBL(),
		mailspikeRep(),
		spamRATS(),
		uceprotect1(),
		uceprotect2(),
		uceprotect3(),
		spamhausDBL(),
		surblMulti(),
		uriblMulti(),
	}
}

// lo returns 127.0.0.d, the usual shape of a return code.
func lo(d byte) netip.Addr { return netip.AddrFrom4([4]byte{127, 0, 0, d}) }

// addr4 returns a.b.c.d.
func addr4(a, b, c, d byte) netip.Addr { return netip.AddrFrom4([4]byte{a, b, c, d}) }

// The RFC 5782 §5 test points every list is expected to answer.
const (
	testIPListed   = "127.0.0.2" // MUST be listed by an IPv4 list
	testIPClean    = "127.0.0.1" // MUST NOT be listed
	testNameClean  = "invalid"   // MUST NOT be listed by a domain list
	spamhausDelist = "https://check.spamhaus.org/"
)

// What to do when a list refuses the resolver: the same advice for every
// operator that blocks public resolvers.
const remedyOwnResolver = "Query from your own recursive resolver rather than a public one: " +
	"install unbound on the host (no forwarders) and run mailcred with --resolver 127.0.0.1:53."

// spamhausRefusals are the Spamhaus error codes, shared by every Spamhaus
// zone (docs.spamhaus.com, "Error codes", 127.255.255.0/24).
func spamhausRefusals() []Refusal {
	return []Refusal{
		{
			Addr:   addr4(127, 255, 255, 252),
			Cause:  "wrong zone name (a typo, or no such list), not a refusal",
			Reason: "Spamhaus error 127.255.255.252: the zone name is wrong (a typo, or a list that does not exist)",
			Remedy: "Check the zone name (zen.spamhaus.org, dbl.spamhaus.org; with DQS <key>.zen.dq.spamhaus.net).",
		},
		{
			Addr:  addr4(127, 255, 255, 254),
			Cause: "refused: public or unattributable resolver",
			Reason: "Spamhaus error 127.255.255.254: the query came through a public/open resolver or one with " +
				"generic, unattributable reverse DNS (Google 8.8.8.8, Cloudflare 1.1.1.1, Quad9, OVH, DigitalOcean, Azure, …)",
			Remedy: remedyOwnResolver + " Or register a free Spamhaus DQS key (non-commercial use) " +
				"and query <key>.zen.dq.spamhaus.net, which answers from any resolver.",
		},
		{
			Addr:   addr4(127, 255, 255, 255),
			Cause:  "refused: too many queries from this resolver",
			Reason: "Spamhaus error 127.255.255.255: too many queries from this resolver (rate limit)",
			Remedy: "Query less often, or use a Spamhaus DQS key or data feed (free public use ends at 300,000 queries a day).",
		},
	}
}

// spamhausTerms is the Spamhaus free-use policy (docs.spamhaus.com, usage terms).
const spamhausTerms = "Free public mirrors only if all hold: non-commercial use, < 100,000 SMTP connections/day " +
	"and < 300,000 DNSBL queries/day, and not from cloud or public resolvers; otherwise a DQS key or a paid feed."

func spamhausZEN() List {
	return List{
		Name: "Spamhaus ZEN", Zone: "zen.spamhaus.org", Kind: IPList, IPv6: true, Default: Blocking,
		Codes: []Code{
			{lo(2), "SBL: a spam source or spam operation Spamhaus has listed by hand", Blocking},
			{lo(3), "SBL CSS: low-reputation or snowshoe sending detected automatically", Blocking},
			{lo(4), "XBL: an exploited host (CBL data) — malware, a bot or an open proxy on this address", Blocking},
			{lo(9), "SBL DROP: a hijacked or criminal network (given together with 127.0.0.2)", Blocking},
			{lo(10), "PBL, ISP-maintained: end-user address space that should not send straight to MX servers", Blocking},
			{lo(11), "PBL, Spamhaus-maintained: end-user or dynamic space that should not send straight to MX servers", Blocking},
			{lo(30), "BCL: botnet command and control", Blocking},
		},
		Refusals:   spamhausRefusals(),
		ErrorRange: netip.PrefixFrom(addr4(127, 255, 255, 0), 24),
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: spamhausDelist, DelistNote: "Blocklist Removal Center: SBL/XBL self-service; PBL through the ISP or the PBL form; URL unverified",
		Terms: spamhausTerms,
		Source: "docs.spamhaus.com \"Available Zones\" and spamhaus.org/news/article/788; " +
			"IPv6 per Spamhaus statement S012 (RFC 5782 queries); delist URL unverified",
	}
}

func spamCop() List {
	return List{
		Name: "SpamCop", Zone: "bl.spamcop.net", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(2), "listed from spam reports and spamtraps; expires by itself about 24 h after reports stop", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: "https://www.spamcop.net/bl.shtml", DelistNote: "expires automatically once the spam stops",
		Terms:  "Report-driven and aggressive; SpamCop itself advises tagging rather than rejecting.",
		Source: "spamcop.net/bl.shtml; no IPv6 data documented",
	}
}

func barracuda() List {
	return List{
		Name: "Barracuda BRBL", Zone: "b.barracudacentral.org", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(2), "listed automatically (spamtrap hits, botnet or proxy behaviour)", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: "https://www.barracudacentral.org/rbl/removal-request", DelistNote: "manual review, ~24 h",
		Terms: "Free, but the querying DNS server must be registered at barracudacentral.org; " +
			"an unregistered resolver gets no useful answers (the health check shows it).",
		Source: "barracudacentral.org; single IPv4 addresses only",
	}
}

func psbl() List {
	return List{
		Name: "PSBL", Zone: "psbl.surriel.com", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(2), "passive spamtrap list: this address sent mail to spamtraps", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: "https://psbl.org/", DelistNote: "self-service removal, anyone can remove",
		Terms:  "Free for anyone; an rsync mirror is available.",
		Source: "psbl.org; no IPv6 data documented",
	}
}

// mailspikeTerms is Mailspike's free-use limit (mailspike.org/usage.html).
const mailspikeTerms = "Free public DNS use only if ≤ 100,000 messages/day and ≤ 100,000 queries/day (mailspike.org/usage.html)."

func mailspikeBL() List {
	return List{
		Name: "Mailspike BL", Zone: "bl.mailspike.net", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(2), "Z-list: part of a current spam wave", Blocking},
			{lo(10), "reputation L5: worst possible", Blocking},
			{lo(11), "reputation L4: very bad", Blocking},
			{lo(12), "reputation L3: bad", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: "https://mailspike.org/", DelistNote: "self-service form; listings are automated and temporary; form URL not captured",
		Terms:  mailspikeTerms,
		Source: "mailspike.org/usage.html (bl = z-list 127.0.0.2 + reputation L3–L5)",
	}
}

// mailspikeRep is a reputation list, not a blocklist: it answers for good
// senders too. Its bad levels are warnings here (bl.mailspike.net already
// carries the blocking levels L3–L5), neutral is information, H1–H5 pass.
// It has no test point: a reputation zone may well answer for 127.0.0.1.
func mailspikeRep() List {
	return List{
		Name: "Mailspike reputation", Zone: "rep.mailspike.net", Kind: IPList, Default: Informational,
		Codes: []Code{
			{lo(10), "reputation L5: worst possible (also on bl.mailspike.net)", Poor},
			{lo(11), "reputation L4: very bad (also on bl.mailspike.net)", Poor},
			{lo(12), "reputation L3: bad (also on bl.mailspike.net)", Poor},
			{lo(13), "reputation L2: suspicious behaviour", Poor},
			{lo(14), "reputation L1: neutral, probably spam", Poor},
			{lo(15), "reputation neutral: no evidence either way", Informational},
			{lo(16), "reputation H1: neutral, probably legitimate", Good},
			{lo(17), "reputation H2: possibly a legitimate sender", Good},
			{lo(18), "reputation H3: good", Good},
			{lo(19), "reputation H4: very good", Good},
			{lo(20), "reputation H5: excellent", Good},
		},
		Delist: "https://mailspike.org/", DelistNote: "reputation follows behaviour; it cannot be delisted",
		Terms:  mailspikeTerms,
		Source: "mailspike.org/usage.html, rep codes .10 L5 … .20 H5",
	}
}

func spamRATS() List {
	return List{
		Name: "SpamRATS", Zone: "all.spamrats.com", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(36), "RATS-Dyna: dynamic or generic-looking reverse DNS — give the IP a PTR naming your mail host", Blocking},
			{lo(37), "RATS-NoPtr: no reverse DNS (PTR) at all — publish one (see rdns.ptr)", Blocking},
			{lo(38), "RATS-Spam: seen sending spam or hitting traps", Blocking},
			{lo(43), "RATS-Auth: SMTP AUTH password guessing from this address", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: "https://www.spamrats.com/", DelistNote: "lookup and removal; URL unverified",
		Terms:  "Check only the connecting IP; SpamRATS' terms of service decide free use.",
		Source: "spamrats.com lists.php; no IPv6 data documented",
	}
}

const uceprotectDelist = "https://www.uceprotect.net/en/rblcheck.php"

func uceprotect1() List {
	return List{
		Name: "UCEPROTECT L1", Zone: "dnsbl-1.uceprotect.net", Kind: IPList, Default: Blocking,
		Codes: []Code{
			{lo(2), "this single address hit UCEPROTECT spamtraps; expires 7 days after the last abuse", Blocking},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: uceprotectDelist, DelistNote: "wait for expiry, or paid express delisting",
		Terms:  "Free to query; listings expire by themselves.",
		Source: "uceprotect.net",
	}
}

// uceprotect2 and uceprotect3 list the provider's allocation or whole ASN,
// not the address: a listing there is information, never a failure.
func uceprotect2() List {
	return List{
		Name: "UCEPROTECT L2", Zone: "dnsbl-2.uceprotect.net", Kind: IPList, Default: Informational,
		Codes: []Code{
			{lo(2), "information only: the provider's allocation around this IP has L1 listings; only the provider can clean it up", Informational},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: uceprotectDelist, DelistNote: "the provider must clean up its range",
		Terms:  "Escalation list; few receivers block on it.",
		Source: "uceprotect.net",
	}
}

func uceprotect3() List {
	return List{
		Name: "UCEPROTECT L3", Zone: "dnsbl-3.uceprotect.net", Kind: IPList, Default: Informational,
		Codes: []Code{
			{lo(2), "information only: the provider's whole ASN is listed; only the ASN can fix it", Informational},
		},
		TestListed: testIPListed, TestClean: testIPClean,
		Delist: uceprotectDelist, DelistNote: "cleared when the ASN's L1 share drops; paid \"whitelisting\" offered",
		Terms:  "Escalation list; few receivers block on it.",
		Source: "uceprotect.net",
	}
}

func spamhausDBL() List {
	refusals := append(spamhausRefusals(), Refusal{
		Addr:   addr4(127, 0, 1, 255),
		Cause:  "an IP address queried on a domain list",
		Reason: "Spamhaus DBL error 127.0.1.255: an IP address was queried against a domain list",
		Remedy: "Query the domain name on dbl.spamhaus.org, not an IP address (use an IP list such as ZEN for addresses).",
	})
	return List{
		Name: "Spamhaus DBL", Zone: "dbl.spamhaus.org", Kind: DomainList, Default: Blocking,
		Codes: []Code{
			{addr4(127, 0, 1, 2), "spam domain: low reputation, seen in spam", Blocking},
			{addr4(127, 0, 1, 4), "phishing domain", Blocking},
			{addr4(127, 0, 1, 5), "malware domain", Blocking},
			{addr4(127, 0, 1, 6), "botnet command-and-control domain", Blocking},
			{addr4(127, 0, 1, 102), "abused legitimate domain: spam", Blocking},
			{addr4(127, 0, 1, 103), "abused legitimate domain: redirector or URL shortener", Blocking},
			{addr4(127, 0, 1, 104), "abused legitimate domain: phishing", Blocking},
			{addr4(127, 0, 1, 105), "abused legitimate domain: malware", Blocking},
			{addr4(127, 0, 1, 106), "abused legitimate domain: botnet C&C", Blocking},
		},
		Refusals:   refusals,
		ErrorRange: netip.PrefixFrom(addr4(127, 255, 255, 0), 24),
		TestListed: "dbltest.com", TestClean: testNameClean,
		Delist: spamhausDelist, DelistNote: "Blocklist Removal Center (URL unverified)",
		Terms:  spamhausTerms,
		Source: "docs.spamhaus.com (DBL return codes); test point dbltest.com → 127.0.1.2",
	}
}

func surblMulti() List {
	return List{
		Name: "SURBL multi", Zone: "multi.surbl.org", Kind: DomainList, Default: Blocking,
		Bits: []Bit{
			{4, "DM list (informational)", Informational},
			{8, "PH: phishing", Blocking},
			{16, "MW: malware", Blocking},
			{32, "CT list (informational)", Informational},
			{64, "ABUSE: spam and other abuse", Blocking},
			{128, "CR: cracked (compromised) site", Blocking},
		},
		Refusals: []Refusal{{
			Addr:   lo(1),
			Cause:  "refused: public resolver or over the free-use limits",
			Reason: "SURBL 127.0.0.1: access blocked — the query came through a public resolver or over the free-use limits (not a listing)",
			Remedy: remedyOwnResolver,
			Link:   "https://surbl.org/usage-policy",
		}},
		TestListed: "test.surbl.org", TestClean: testNameClean,
		Delist: "https://surbl.org/", DelistNote: "lookup and removal; URL unverified",
		Terms:  "Free under 1,000 users / 250,000 messages a day, never inside a paid product (surbl.org/usage-policy).",
		Source: "surbl.org implementation notes (bitmask 8 PH, 16 MW, 64 ABUSE, 128 CR; 4 DM and 32 CT informational)",
	}
}

// uriblMulti: black blocks; grey (bulk mail with some legitimacy) and red
// (under observation) are reputation signals, so they warn.
func uriblMulti() List {
	return List{
		Name: "URIBL multi", Zone: "multi.uribl.com", Kind: DomainList, Default: Blocking,
		Bits: []Bit{
			{2, "black: seen in spam", Blocking},
			{4, "grey: bulk mail, not recommended for blocking", Poor},
			{8, "red: under observation in recent mail flow", Poor},
		},
		Refusals: []Refusal{
			{
				Addr:  lo(1),
				Cause: "refused: too much volume or a public resolver",
				Reason: "URIBL 127.0.0.1: query refused — too much volume or a public resolver " +
					"(SpamAssassin calls it URIBL_BLOCKED; bit 0x1 is never a listing)",
				Remedy: remedyOwnResolver,
				Link:   "https://uribl.com/refused.shtml",
			},
			{
				Addr:   lo(255),
				Cause:  "an error answer, not a listing",
				Reason: "URIBL 127.0.0.255: an error answer, not a listing",
				Remedy: remedyOwnResolver,
				Link:   "https://uribl.com/refused.shtml",
			},
		},
		TestListed: "test.uribl.com", TestClean: testNameClean,
		Delist: "https://uribl.com/", DelistNote: "lookup and removal; URL unverified",
		Terms:  "Low-volume public use; big users and public resolvers are refused (uribl.com/refused.shtml).",
		Source: "uribl.com about and refused pages (bitmask 2 black, 4 grey, 8 red; test.uribl.com → 127.0.0.14)",
	}
}
