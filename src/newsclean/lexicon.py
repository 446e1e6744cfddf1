"""General web-UI vocabulary, in several languages, and the date grammar.

Nothing here comes from one site: these are the words any news page's chrome is built
from (share buttons, comment widgets, cookie prompts, photo credits, bylines). Short
lines are matched whole; captions and credits are matched anywhere in the line.
"""
from __future__ import annotations

import re

import regex

from .records import (ADVERT, CAPTION, COMMENTS, FOOTER, METADATA, NAVIGATION, NEWSLETTER, RELATED,
                      SHARE, SIDEBAR)

# -- whole short lines (≤ 8 words), case-insensitive --------------------------------------
_SHORT = {
    SHARE: r"""
        share(\s+(this|on|via|the|article|story|post|page|to|with)\b.*)?|shares?|sharing|tweet|retweet|
        pin( it)?|email|e-mail|print|copy( the)? (link|url)|link copied|(get )?short ?url|whatsapp|facebook|twitter|
        x \(formerly twitter\)|linkedin|pinterest|reddit|telegram|messenger|flipboard|tumblr|vk|line|
        follow|follow us.*|follow (on|me).*|follow \S+( \S+)? on( (twitter|facebook|instagram|telegram|x|google news|linkedin|youtube|tiktok|whatsapp))?|like us on.*|find us on .*|teilen|partager|compartir|condividi|compartilhe|
        compartilhar|поделиться|comments?\s*\(?\d*\)?\s*share|\d+\s*shares?|gift (this )?article|save( article)?|
        listen( to (this )?(article|story))?|\d+ min(ute)?s? (read|listen)|reading time.*|font size|text size|
        a+\s*a+|aa|zoom|bookmark|favorite|add to (favorites|bookmarks)""",
    COMMENTS: r"""
        comments?|\d+\s*comments?|comments? \(\d+\)|view comments|show comments|hide comments|post a comment|
        leave a (comment|reply)|add (a|your) comment|write a comment|join the (conversation|discussion)|
        replying to .*|reply|report (abuse|comment|this comment)|sign in to comment|log ?in to comment|load more comments|
        discussion|kommentare?|commentaires?|comentarios?|commenti|comentários?|комментарии|
        be the first to comment.*|no comments( yet)?.*|newest|oldest|most voted|sort by.*""",
    NEWSLETTER: r"""
        (sign up|subscribe)( (now|today|here|for|to).*)?|newsletters?( sign ?up)?|join our (newsletter|mailing list)|get (our|the) newsletter.*|
        subscription|subscriptions|subscribe to .*|abonnieren|s'abonner|suscríbete|iscriviti|assine|
        (already a subscriber|already have an account).*|log ?in|sign ?in|register|create (an )?account|
        my account|manage (subscriptions|preferences|cookies)|accept( all)?( cookies)?|reject all|got it|
        cookie (settings|policy|preferences)|ok|i agree|continue reading|keep reading|read (the )?full (story|article)""",
    NAVIGATION: r"""
        skip to (main )?(content|navigation|search)|skip navigation|jump to.*|menu|main menu|toggle .*|close|
        open|search|home|homepage|back to top|top|next|previous|prev|more|
        (next|previous|prev|older|newer) (post|article|story|entry)|see (all|more)|view all|show more|
        load more|latest( news)?|trending( now)?|breaking( news)?|live|video|videos|watch|photos|gallery|
        podcasts?|news|sections|topics|tags?|categories|world|business|sports?|politics|opinion|editorial|
        entertainment|lifestyle|technology|tech|health|science|weather|travel|culture|markets?|local|
        thumbnail|caption|image|image caption|image copyright|enlarge( this)?( image)?|expand|back to gallery|
        view (the )?gallery|photo gallery|\d+ photos|advertisement|advertising|ad|sponsored( content)?|partner content|promoted|
        startseite|accueil|inicio|início|главная|navigation|breadcrumbs?|all news|edition|switch site""",
    FOOTER: r"""
        (about|contact|careers|jobs|advertise|help|faq|terms|privacy|legal)( us| policy| of (use|service)| notice| center| centre)?|
        terms (and|&) conditions|privacy (policy|notice|settings)|cookie policy|do not sell.*|accessibility|
        site ?map|rss( feeds?)?|impressum|datenschutz|mentions légales|aviso legal|all rights reserved.*""",
    RELATED: r"""
        related( (articles?|stories|news|posts|content|coverage|topics|links|reading))?|read (more|next|also)|
        more (from|on|about|in|stories|news|articles|like this).*|also read|see also|recommended( for you)?|
        you (may|might) (also )?like|don't miss|further reading|most (popular|read|viewed|shared|commented)|
        top stories|editors?'?s?’? picks?|also on \S+|what to read next|up next|in (other|case you missed).*|popular( now)?|
        lire aussi|leia (também|mais)|mehr zum thema|lee también|leggi anche|читайте также|по теме|
        você (também )?pode (gostar|se interessar)|veja também|(también )?te puede interesar|quizás te interese|
        te recomendamos|vous aimerez aussi|à lire aussi|sur le même sujet|das könnte (sie|dich) auch interessieren|
        weitere artikel|(ti )?potrebbe interessarti|ti potrebbe interessare|lees ook|misschien ook interessant|
        вам может быть интересно|похожие (статьи|новости)""",
}
def _group(reason: str) -> str:
    return reason.replace("-", "_")


# One alternation of named groups: one regex call a line instead of one per reason.
# Simple case folding (VERSION0): the lexicon's words need no "ß" = "ss" or ligature
# matching, and full case folding made these, the most used patterns, take twice as long
# (same verdict on every distinct line of the three shared sets, checked).
_LEXICON_FLAGS = regex.I | regex.V0
SHORT_RE = regex.compile("|".join(r"(?P<%s>%s)" % (_group(r), regex.sub(r"\s*\n\s*", "", p).strip())
                                  for r, p in _SHORT.items()), _LEXICON_FLAGS)

# A line that opens with one of these is chrome of that kind, whatever follows.
_PREFIX = {
    RELATED: r"(related|read more|read also|also read|see also|more|recommended|watch|listen|lire aussi|leia também|leia mais|mehr zum thema|lesen sie auch|auch interessant|lee también|lea también|leggi anche|lees ook|czytaj też|читайте также)\s*[:|»>–-]\s*\S",
    COMMENTS: r"((\d+|one)\s+(comments?|responses?|replies|reactions)\b|(\d+|one) thoughts? on\b|(comments?|responses?|replies) to\s+\S|comments are (closed|moderated)|comments? policy|we (welcome|moderate) comments|your email address will not be published|required fields are marked|please (keep|be) .* (civil|respectful|mindful)|log ?in to (comment|reply)|you must be logged in|this discussion|commenting (is|has been))",
    NEWSLETTER: r"(stay (up to date|updated|informed|in the know)|.{0,80}\b(subscribe to|sign up for) (our|the) (newsletter|mailing list)|.{0,60}(straight|delivered|directly) to your inbox|(necessary|functional|analytics|performance|advertisement|other|non-necessary) cookies|cookies (are|that|help|used)|sign up (for|to)|subscribe (to|for|now)|get (the|our) (latest|best|daily|weekly)|enter your e-?mail|by (signing up|subscribing|clicking|submitting)|we (use|may use) cookies|this (website|site) uses cookies|by continuing to (use|browse)|you have reached (your|the) (limit|maximum)|to continue reading|already a subscriber|support (our|independent) journalism)",
    FOOTER: r"(©|\(c\)|copyright\b|all rights reserved)",
    SHARE: r"(share (this|on|via)|follow us (on|at)|click (here )?to (share|email|print|tweet|pin)|.{0,60}\(opens in (a )?new window\))",
    ADVERT: r"(advertisement|sponsored|paid (content|post)|promoted (content|stories))\b",
}
PREFIX_RE = regex.compile(r"^\W{0,3}(?:%s)" % "|".join(r"(?P<%s>%s)" % (_group(r), p) for r, p in _PREFIX.items()),
                          _LEXICON_FLAGS)
_REASON_OF = {_group(r): r for r in list(_SHORT) + list(_PREFIX)}
# The first words PREFIX_RE can match at all (and the few phrases it finds further in): a
# cheap test that spares most paragraphs the long alternation.
_PREFIX_START = re.compile(
    r"\W{0,3}(?:related|read|also|see|more|recommend|watch|listen|lire|leia|mehr|lesen|auch|lee|lea|leggi|lees|"
    r"czytaj|читайте|\d|one|comment|respons|repl|we|your|required|please|log|you|this|stay|necessary|functional|"
    r"analytics|performance|advertis|other|non-necessary|cookie|sign|subscribe|get|enter|by|to continue|already|"
    r"support|©|\(c\)|copyright|all rights|share|follow|click|sponsor|paid|promoted)")


def _prefix_possible(text: str) -> bool:
    low = text[:140].lower()
    return (_PREFIX_START.match(low) is not None or "subscribe to" in low or "sign up for" in low
            or "inbox" in low or "new window" in low)

# Captions and credits, anywhere in the line. Three kinds of pattern, each searched the
# cheapest way that finds the same lines: those that close the line ($) are searched
# backwards from its end (the regex module's REVERSE flag: a start that cannot end the
# line fails at once, instead of trying every credit word at every position), those that
# open it are matched at its start, and the few that may stand anywhere are searched.
# (One alternation of all twelve found the same lines in three times the time: checked on
# every distinct line of the three shared sets.)
_CAPTION_END = (
    r"\(\s*(photo|image|picture|pic|file photo|illustration|video|graphic|credit)s?\b[^)]*\)\s*\.?$",
    r"\b(photo|image|picture|photograph|illustration|graphic|credit|foto|bild|imagen|crédito|фото)s?\s*(by|credit|courtesy|source)?\s*[:|]\s*\S[^.!?]{0,80}$",
    r"(─|—|–|-|/|\|)\s*(reuters|afp|ap|epa|getty( images)?|shutterstock|istock|xinhua|anadolu|bloomberg|pa|file)\s*(/\s*file|/\s*\w+)?\s*\.?\)?$",
    r"\b(reuters|afp|ap|epa|getty images|shutterstock|istock(photo)?|xinhua|pa wire|pa images|bloomberg|nurphoto|sipa|alamy)\s*/\s*(file|[a-z][\w.]+( [a-z][\w.]+){0,3})\s*\)?\.?$",
    r"\(\s*(ap|afp|reuters|getty|epa|pa)( photo)?\s*/[^)]*\)\s*$",
)
_CAPTION_START = (
    r"^\s*(photo|image|picture|foto|file photo|credit)s?\s*[:|/]",
    r"^\s*(image|photo|video) (caption|source|copyright)\b",
    r"^\s*(in )?(this|these|an?) ([\w,.'’-]+\s+){0,8}(photos?|photographs?|images?|pictures?|illustrations?|renderings?|file photos?|handout|screenshots?|screen grabs?|video stills?)\b[^.]{0,40}\b(shows?|showing|taken|provided|released|made available|of|from)\b",
    r"^\s*\d+\s*of\s*\d+\s*\S",
)
_CAPTION_ANYWHERE = (
    r"\b(ap photo|getty images|photo courtesy|file photo|source: (twitter|instagram|facebook|youtube|screengrab|screenshot))\b",
    r"credit:\s*(getty|reuters|ap|afp|alamy|shutterstock|pa|epa|istock|rex)",
    r"\b(image|photo) (caption|copyright)\b",
)
_CAPTION_END_RE = regex.compile("(?r)(?:%s)" % "|".join(_CAPTION_END), _LEXICON_FLAGS)
_CAPTION_START_RE = regex.compile("(?:%s)" % "|".join(_CAPTION_START), _LEXICON_FLAGS)
_CAPTION_ANYWHERE_RE = regex.compile("(?:%s)" % "|".join(_CAPTION_ANYWHERE), _LEXICON_FLAGS)


def caption_pattern(text: str) -> bool:
    """Whether a caption or credit pattern holds anywhere in the line."""
    return (_CAPTION_START_RE.match(text) is not None or _CAPTION_ANYWHERE_RE.search(text) is not None
            or _CAPTION_END_RE.search(text) is not None)


# Cheap pre-checks (stdlib re, simple patterns) so the costly ones run on few lines.
_CAPTION_STEMS = ("photo", "image", "pictur", "credit", "getty", "reuters", "afp", "file", "illustrat", "graphic",
                  "foto", "bild", "imagen", "фото", "shutterstock", "istock", "screen", "still", "xinhua", "anadolu",
                  "bloomberg", "handout", "rendering", "alamy", "nurphoto", "sipa", "courtesy", "caption", "copyright",
                  "video")
_CAPTION_AGENCY = re.compile(r"\b(?:pic|ap|pa|epa|wire)\b")


def _caption_possible(low: str) -> bool:
    # Substring tests run in C; one long alternation tried at every position does not.
    # Agency credits without a stem ("… - AP", "(PA/Jane Roe)") close the line or carry
    # a slash; a gallery count ("3 of 12") opens it.
    return ("/" in low or low[:1].isdigit() or _CAPTION_AGENCY.search(low[-24:]) is not None
            or any(s in low for s in _CAPTION_STEMS))


_YEAR_HINT = re.compile(r"(?:19|20)\d\d")

# "Jane Roe is a staff writer at …": the author's box under an article.
AUTHOR_BIO_RE = regex.compile(
    r"^\p{Lu}[\p{L}.'’-]+(\s+\p{Lu}[\p{L}.'’-]+){0,3}\s+(\([^)]*@[^)]*\)\s+)?(is|was|has been|joined|covers)\s+"
    r"(a|an|the|our)?\s*([\p{L}-]+\s+){0,6}(writer|reporter|editor|correspondent|journalist|columnist|contributor|"
    r"producer|author|anchor|blogger|freelancer|intern|editor-in-chief|publisher)\b", regex.V1)

# "jane_doe says:" — the header of a reader's comment.
COMMENTER_RE = regex.compile(r"\b(says|said|wrote|writes|commented|replied|schreibt|dit|dice|disse|escribió|пишет)\s*:\s*$", regex.I)

# -- dates ---------------------------------------------------------------------------------
MONTHS = {
    # English, German, French, Spanish, Italian, Portuguese, Dutch (full and 3-4 letter forms)
    1: "january|jan|januar|janvier|janv|enero|ene|gennaio|gen|janeiro|januari|jänner",
    2: "february|feb|februar|février|févr|fevrier|febrero|febbraio|fevereiro|fev|februari",
    3: "march|mar|märz|maerz|mars|marzo|março|marco|maart|mrt",
    4: "april|apr|avril|avr|abril|abr|aprile",
    5: "may|mai|mayo|maggio|maio|mei|mag",
    6: "june|jun|juni|juin|junio|giugno|giu|junho",
    7: "july|jul|juli|juillet|juil|julio|luglio|lug|julho",
    8: "august|aug|août|aout|agosto|ago|augustus",
    9: "september|sept|sep|septembre|septiembre|settembre|set|setembro",
    10: "october|oct|oktober|okt|octobre|octubre|ottobre|ott|outubro|out",
    11: "november|nov|novembre|noviembre|novembro",
    12: "december|dec|dezember|dez|décembre|déc|diciembre|dic|dicembre|dezembro",
}
MONTH_OF = {name: num for num, names in MONTHS.items() for name in names.split("|")}
_MON = "|".join(sorted(MONTH_OF, key=len, reverse=True))
DATE_RE = regex.compile(
    rf"""(?P<iso>(?P<y1>(19|20)\d\d)[-/.](?P<m1>0?[1-9]|1[0-2])[-/.](?P<d1>0?[1-9]|[12]\d|3[01]))(?!\d)
      |(?P<mdy>\b(?P<m2>{_MON})\.?\s+(?P<d2>[0-3]?\d)(st|nd|rd|th)?,?\s+(?P<y2>(19|20)\d\d)\b)
      |(?P<dmy>\b(?P<d3>[0-3]?\d)(st|nd|rd|th|er|º|\.)?\s+(de\s+)?(?P<m3>{_MON})\.?,?\s+(de\s+)?(?P<y3>(19|20)\d\d)\b)
      |(?P<num>\b(?P<d4>[0-3]?\d)[./](?P<m4>[01]?\d)[./](?P<y4>(19|20)\d\d)\b)""",
    regex.I | regex.X | regex.V1)
TIME_RE = regex.compile(r"\b([01]?\d|2[0-3])[:.h][0-5]\d\s*(am|pm|a\.m\.|p\.m\.)?\s*(\b[A-Z]{2,4}\b|GMT[+-]?\d*|UTC[+-]?\d*)?|\b\d{1,2}\s*(am|pm)\b", regex.I)
RELATIVE_TIME_RE = regex.compile(r"^\W*(\d+|an?|one)\s+(seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?)\s+ago\W*$", regex.I)
META_PREFIX_RE = regex.compile(
    r"^\W{0,3}((published|updated|posted|last (updated|modified)|modified|created|first published|date|"
    r"written by|reported by|story by|words by|author|veröffentlicht|aktualisiert|publié|mis à jour|"
    r"publicado|atualizado|actualizado|pubblicato|aggiornato|опубликовано|обновлено)\b|(?-i:[Bb]y|BY|[Vv]on|[Pp]ar|[Pp]or|[Dd]i)\s+\p{Lu})",
    regex.I | regex.V1)


def has_year(text: str) -> bool:
    return _YEAR_HINT.search(text) is not None


def parse_date(text: str) -> str | None:
    """The first date in ``text`` as ISO yyyy-mm-dd, or None."""
    if not has_year(text):
        return None
    for m in DATE_RE.finditer(text):
        g = m.groupdict()
        try:
            if g["iso"]:
                y, mo, d = int(g["y1"]), int(g["m1"]), int(g["d1"])
            elif g["mdy"]:
                y, mo, d = int(g["y2"]), MONTH_OF[g["m2"].lower()], int(g["d2"])
            elif g["dmy"]:
                y, mo, d = int(g["y3"]), MONTH_OF[g["m3"].lower()], int(g["d3"])
            else:
                y, mo, d = int(g["y4"]), int(g["m4"]), int(g["d4"])
        except KeyError:
            continue
        if 1 <= mo <= 12 and 1 <= d <= 31:
            return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def chrome_reason(text: str, n_words: int) -> str | None:
    """The chrome a line is made of, judged from its own words; None if it may be body."""
    if n_words <= 8:
        t = text.strip().strip("•·*|»›>-–—:").strip().rstrip(".!:…»>").strip()
        m = SHORT_RE.fullmatch(t)
        if m:
            return _REASON_OF[m.lastgroup]
    m = PREFIX_RE.match(text) if _prefix_possible(text) else None
    if m:
        return _REASON_OF[m.lastgroup]
    if n_words <= 14 and text.rstrip().endswith(":") and COMMENTER_RE.search(text[-24:]):
        return COMMENTS
    if n_words <= 80 and _caption_possible(text.lower()) and caption_pattern(text):
        return CAPTION
    return None


__all__ = ["chrome_reason", "parse_date", "DATE_RE", "TIME_RE", "RELATIVE_TIME_RE", "META_PREFIX_RE",
           "SIDEBAR", "METADATA"]
