//! Column-name recognizers: patterns over the normalised attribute path.
//!
//! A path like `["profile", "billingAddress", "zip-code"]` is split into lowercase tokens per
//! segment (camelCase, snake_case, kebab-case, dots). Patterns look at the *leaf* (the last
//! segment, joined with `_`); when the leaf is generic (`number`, `name`, `value`, ...) the
//! parent segment is prepended, so `billing.card.number` is read as `card_number` and
//! `product.name` as `product_name`. A few patterns (e.g. `state`) additionally require an
//! address-like word somewhere in the path.

use regex::Regex;
use std::sync::LazyLock;

/// Name confidence for names that are unambiguous on their own (`password`, `ssn`, `iban`).
pub(crate) const STRONG: f64 = 85.0;
/// Name confidence for names that usually, but not always, mean the entity (`first_name`).
pub(crate) const MEDIUM: f64 = 75.0;
/// Name confidence for ambiguous names (`name`, `address`, `phone`, `ip`, `url`, `gender`).
pub(crate) const WEAK: f64 = 65.0;

/// One column-name pattern.
pub(crate) struct NamePattern {
    /// Entity it points to.
    pub entity: &'static str,
    /// Short name shown in reasons, e.g. `email`.
    pub name: &'static str,
    /// Regular expression over the `_`-joined effective leaf.
    pub regex: &'static str,
    /// Leaf tokens that veto the match (`email_verified` is not an e-mail).
    pub exclude: Option<&'static str>,
    /// A regular expression the whole joined path must match as well.
    pub context: Option<&'static str>,
    /// Confidence 0–100 of the name alone.
    pub score: f64,
}

macro_rules! pat {
    ($entity:expr, $name:expr, $re:expr, $score:expr) => {
        NamePattern {
            entity: $entity,
            name: $name,
            regex: $re,
            exclude: None,
            context: None,
            score: $score,
        }
    };
    ($entity:expr, $name:expr, $re:expr, $score:expr, exclude = $ex:expr) => {
        NamePattern {
            entity: $entity,
            name: $name,
            regex: $re,
            exclude: Some($ex),
            context: None,
            score: $score,
        }
    };
    ($entity:expr, $name:expr, $re:expr, $score:expr, context = $cx:expr) => {
        NamePattern {
            entity: $entity,
            name: $name,
            regex: $re,
            exclude: None,
            context: Some($cx),
            score: $score,
        }
    };
}

const NOT_ADDRESS: &str = r"(?:^|_)(?:e_?mail|ip|ipv4|ipv6|mac|wallet|btc|eth|bitcoin|ethereum|crypto|web|url|remote|server|host|node|file|archive|memory|contract|billing_email)(?:_|$)";
const CRED_EXCLUDE: &str = r"(?:^|_)(?:expir\w*|expires|type|count|updated|created|changed|length|policy|hint|required|enabled|at|date|time|version|ttl|url|endpoint|name|reset|last|rotated|scope|scopes|status|strength)(?:_|$)";

/// Every column-name pattern, most specific first.
pub(crate) static PATTERNS: &[NamePattern] = &[
    pat!(
        "CREDENTIAL",
        "password",
        r"(?:^|_)(?:password|passwd|pwd|pass_?hash|pass_?word|passcode|pin_?hash)s?(?:_|$)",
        STRONG,
        exclude = CRED_EXCLUDE
    ),
    pat!(
        "CREDENTIAL",
        "secret",
        r"(?:^|_)(?:secret|secret_?key|client_?secret|api_?key|apikey|access_?key(?:_?id)?|aws_?secret(?:_?access_?key)?|private_?key|priv_?key|signing_?key|encryption_?key|otp_?secret|totp_?secret|credentials?)s?(?:_|$)",
        STRONG,
        exclude = CRED_EXCLUDE
    ),
    pat!(
        "CREDENTIAL",
        "token",
        r"(?:^|_)(?:token|access_?token|refresh_?token|auth_?token|id_?token|bearer_?token|session_?token|session_?key|jwt)s?(?:_|$)",
        STRONG,
        exclude = CRED_EXCLUDE
    ),
    pat!(
        "EMAIL_ADDRESS",
        "email",
        r"(?:^|_)e_?mails?(?:_?addr(?:ess)?(?:es)?)?(?:_|$)",
        STRONG,
        exclude = r"(?:^|_)(?:verified|enabled|opt|optin|opt_in|sent|count|template|subject|body|status|type|domain|confirmed|bounced|consent|frequency|preference|preferences|format|is|has|at|date|campaign|id)(?:_|$)"
    ),
    pat!(
        "US_SSN",
        "ssn",
        r"(?:^|_)(?:ssn|social_?security(?:_?(?:number|no|num|nr))?)(?:_|$)",
        STRONG,
        exclude = r"(?:^|_)(?:last_?4|last_?four|verified)(?:_|$)"
    ),
    pat!(
        "US_ITIN",
        "tax_id",
        r"(?:^|_)(?:tax_?id|tin|itin|tax_?payer_?id|taxpayer_?id(?:entification)?(?:_?number)?|tax_?(?:number|no)|tax_?identification_?number)(?:_|$)",
        STRONG
    ),
    pat!(
        "UK_NHS",
        "nhs_number",
        r"(?:^|_)nhs(?:_?(?:number|no|num|nr|id))?(?:_|$)",
        STRONG
    ),
    pat!(
        "US_PASSPORT",
        "passport",
        r"(?:^|_)passport(?:_?(?:number|no|num|nr|id))?(?:_|$)",
        STRONG,
        exclude = r"(?:^|_)(?:expir\w*|expiry|country|issued?|photo|type|scan|image|date)(?:_|$)"
    ),
    pat!(
        "US_DRIVER_LICENSE",
        "driver_license",
        r"(?:^|_)(?:drivers?_?licen[cs]es?|driving_?licen[cs]es?|dl_?(?:number|no|num|nr))(?:_?(?:number|no|num|nr|id))?(?:_|$)",
        MEDIUM,
        exclude = r"(?:^|_)(?:expir\w*|expiry|state|class|issued?|date|type|photo|image)(?:_|$)"
    ),
    pat!(
        "MEDICAL_LICENSE",
        "medical_license",
        r"(?:^|_)(?:medical_?licen[cs]e(?:_?(?:number|no|num))?|dea(?:_?(?:number|no|num|registration))|npi(?:_?(?:number|no))?)(?:_|$)",
        MEDIUM
    ),
    pat!(
        "CREDIT_CARD",
        "card_number",
        r"(?:^|_)(?:card_?(?:number|no|num|nr)|credit_?card(?:_?(?:number|no|num|nr))?|debit_?card(?:_?(?:number|no|num|nr))?|cc_?(?:number|num|no|nr)|ccn|pan)(?:_|$)",
        STRONG,
        exclude = r"(?:^|_)(?:last_?4|last_?four|last|first_?6|type|brand|expir\w*|exp|holder|name|network|cvv|cvc|issuer|country|bin|token|hash|masked|fingerprint|count|limit)(?:_|$)"
    ),
    pat!(
        "IBAN_CODE",
        "iban",
        r"(?:^|_)iban(?:_?(?:code|number|no))?(?:_|$)",
        STRONG
    ),
    pat!(
        "US_BANK_NUMBER",
        "bank_account",
        r"(?:^|_)(?:bank_?account(?:_?(?:number|no|num|nr))?|routing_?(?:number|no|num)|aba_?(?:number|routing)?|bank_?(?:number|no))(?:_|$)",
        MEDIUM,
        exclude = r"(?:^|_)(?:type|name|holder|country|currency|status|verified)(?:_|$)"
    ),
    pat!(
        "US_BANK_NUMBER",
        "account_number",
        r"(?:^|_)(?:account_?(?:number|no|num|nr)|acct_?(?:number|no|num|nr))(?:_|$)",
        WEAK
    ),
    pat!(
        "DATE_TIME",
        "date_of_birth",
        r"(?:^|_)(?:dob|date_?of_?birth|birth_?date|birthdate|birthday|birth_?dt|born(?:_?on|_?at)?|birth)(?:_|$)",
        STRONG,
        exclude =
            r"(?:^|_)(?:place|city|country|weight|certificate|name|order|count|rate|town)(?:_|$)"
    ),
    pat!(
        "DATE_TIME",
        "date_of_birth",
        r"(?:^|_)(?:geburtsdatum|geburtstag|date_de_naissance|data_(?:di_)?nascita|fecha_(?:de_)?nacimiento|data_(?:de_)?nascimento|geboortedatum|生年月日|誕生日|जन्म_तिथि)(?:_|$)",
        STRONG
    ),
    pat!(
        "PERSON",
        "person_name",
        r"(?:^|_)(?:(?:first|last|given|family|middle|maiden|full|legal|sur|fore|customer|client|contact|person|patient|employee|cardholder|card_?holder|account_?holder|holder|recipient|sender|guardian|beneficiary|passenger|guest|member|billing|shipping|real)_?names?|surnames?|forenames?|firstnames?|lastnames?|fullnames?|givennames?|fname|lname)(?:_|$)",
        MEDIUM
    ),
    // The same in the ten locales' languages (German, French, Spanish, Italian, Dutch,
    // Portuguese, Japanese, Hindi).
    pat!(
        "PERSON",
        "person_name",
        r"(?:^|_)(?:vornamen?|nachnamen?|familienname|rufname|geburtsname|pr[ée]noms?|nom_(?:de_famille|complet|de_naissance|du_client)|cognom[ei]|nom[ei]_complet[oi]|nomes?_completos?|apellidos?|nombre_completo|nombres?_y_apellidos|sobrenomes?|voornaam|voornamen|achternaam|achternamen|familienaam|volledige_naam|roepnaam|(?:kunde|kunden|kundin|cliente|client|klant|contacto|contatto|contato|titular|inhaber|houder)_?(?:name|nom|nome|nombre|naam)|姓名|氏名|名前|お名前|フリガナ|ふりがな|顧客名|पूरा_नाम)(?:_|$)",
        MEDIUM
    ),
    pat!("PERSON", "name", r"^names?$", WEAK),
    pat!(
        "PERSON",
        "name",
        r"^(?:noms?|naam|nomes?|nombres?|姓|名|नाम)$",
        WEAK
    ),
    pat!(
        "PHONE_NUMBER",
        "phone",
        r"(?:^|_)(?:phone|phones|mobile|cell|cellphone|tel|telephone|msisdn|fax|phone_?number|mobile_?number|contact_?number|whatsapp)(?:_?(?:number|no|num|nr))?s?(?:_|$)",
        WEAK,
        exclude =
            r"(?:^|_)(?:verified|type|enabled|model|brand|os|carrier|make|confirmed|id)(?:_|$)"
    ),
    pat!(
        "LOCATION",
        "address",
        r"(?:^|_)(?:address(?:_?line)?|addr|street(?:_?address|_?name|_?line)?|city|town|zip(?:_?code)?|postcode|post_?code|postal(?:_?code)?|country|country_?code|region|province|county|suburb|neighbou?rhood|locality|municipality|house_?number|latitude|longitude|lat|lng|lon|geo_?location|location|residence)(?:_?\d)?s?(?:_|$)",
        WEAK,
        exclude = NOT_ADDRESS
    ),
    pat!(
        "LOCATION",
        "address",
        r"(?:^|_)(?:villes?|cidades?|ciudad(?:es)?|citt[àa]|stadt|ort|wohnort|plaats|woonplaats|stad|gemeente|comune|localidad|localit[àa]|municipio|munic[íi]pio|bairro|barrio|quartier|stra(?:ss|ß)en?|rue|calle|rua|straat|adresse|anschrift|direcci[óo]n|indirizzo|endere[çc]o|adres|code_postal|c[óo]digo_postal|plz|postleitzahl|cep|provincia|prov[íi]ncia|bundesland|d[ée]partement|pays|pa[íi]s|paese|住所|所在地|都道府県|市区町村|郵便番号|番地|पता|शहर)(?:_?\d)?s?(?:_|$)",
        WEAK,
        exclude = NOT_ADDRESS
    ),
    pat!(
        "LOCATION",
        "state",
        r"(?:^|_)(?:state|state_?code|state_?province)(?:_|$)",
        WEAK,
        context = r"(?:^|_)(?:address|addr|shipping|billing|mailing|home|residence|residential|location|postal|geo)(?:_|$)"
    ),
    pat!(
        "PHONE_NUMBER",
        "phone",
        r"(?:^|_)(?:telefon(?:nummer)?|telefone|telefono|tel[ée]fono|t[ée]l[ée]phone|celular|cellulare|handy|m[óo]vil|portable|telefoon|mobiel|rufnummer|mobilnummer|電話|電話番号|携帯|携帯電話|फ़ोन|फोन|मोबाइल)s?(?:_|$)",
        WEAK,
        exclude =
            r"(?:^|_)(?:verified|type|enabled|model|brand|os|carrier|make|confirmed|id)(?:_|$)"
    ),
    pat!(
        "EMAIL_ADDRESS",
        "email",
        r"(?:^|_)(?:courriel|correo(?:_electr[óo]nico)?|posta_elettronica|メール|メールアドレス|ईमेल)(?:_|$)",
        STRONG
    ),
    pat!(
        "IP_ADDRESS",
        "ip_address",
        r"(?:^|_)(?:ip|ips|ipv4|ipv6|ip_?addr(?:ess)?(?:es)?|ip_?v4|ip_?v6|remote_?addr(?:ess)?|x_?forwarded_?for)(?:_|$)",
        WEAK
    ),
    pat!(
        "MAC_ADDRESS",
        "mac_address",
        r"(?:^|_)(?:mac(?:_?addr(?:ess)?)?|bssid|hw_?addr(?:ess)?|hardware_?addr(?:ess)?)(?:_|$)",
        WEAK,
        exclude = r"(?:^|_)(?:os|book|macbook|pro|version)(?:_|$)"
    ),
    pat!(
        "URL",
        "url",
        r"(?:^|_)(?:url|urls|uri|website|web_?site|homepage|home_?page|link|links|href|web_?page|webpage)(?:_|$)",
        WEAK
    ),
    pat!(
        "CRYPTO",
        "wallet",
        r"(?:^|_)(?:wallet(?:_?addr(?:ess)?)?|btc(?:_?addr(?:ess)?)?|eth(?:_?addr(?:ess)?)?|bitcoin(?:_?addr(?:ess)?)?|ethereum(?:_?addr(?:ess)?)?|crypto_?addr(?:ess)?)(?:_|$)",
        MEDIUM,
        exclude = r"(?:^|_)(?:balance|id|type|amount|provider|name)(?:_|$)"
    ),
    pat!(
        "NRP",
        "demographic",
        r"(?:^|_)(?:gender|sex|ethnicity|ethnic_?group|race|religion|religious_?affiliation|nationality|citizenship|political_?(?:party|affiliation|views?)|politics|sexual_?orientation)(?:_|$)",
        WEAK
    ),
];

/// Path words that say which country's national formats the column holds (phone numbers
/// without a country code). Only unambiguous words: `telefono` is Italian and Spanish.
const REGION_WORDS: &[(&str, phonenumber::country::Id)] = {
    use phonenumber::country::Id;
    &[
        ("telefone", Id::BR),
        ("celular", Id::BR),
        ("cep", Id::BR),
        ("cidade", Id::BR),
        ("endereco", Id::BR),
        ("endereço", Id::BR),
        ("bairro", Id::BR),
        ("telefon", Id::DE),
        ("telefonnummer", Id::DE),
        ("handy", Id::DE),
        ("rufnummer", Id::DE),
        ("plz", Id::DE),
        ("strasse", Id::DE),
        ("straße", Id::DE),
        ("téléphone", Id::FR),
        ("portable", Id::FR),
        ("ville", Id::FR),
        ("teléfono", Id::ES),
        ("móvil", Id::ES),
        ("movil", Id::ES),
        ("ciudad", Id::ES),
        ("cellulare", Id::IT),
        ("città", Id::IT),
        ("indirizzo", Id::IT),
        ("telefoon", Id::NL),
        ("mobiel", Id::NL),
        ("woonplaats", Id::NL),
        ("電話", Id::JP),
        ("電話番号", Id::JP),
        ("携帯", Id::JP),
        ("住所", Id::JP),
        ("फोन", Id::IN),
        ("फ़ोन", Id::IN),
        ("मोबाइल", Id::IN),
    ]
};

/// The country the column name's language points at, if a word of the path says so.
pub(crate) fn region(path: &NormalPath) -> Option<phonenumber::country::Id> {
    path.full.split('_').find_map(|t| {
        REGION_WORDS
            .iter()
            .find(|(w, _)| *w == t)
            .map(|&(_, id)| id)
    })
}

struct Compiled {
    pattern: &'static NamePattern,
    regex: Regex,
    exclude: Option<Regex>,
    context: Option<Regex>,
}

static COMPILED: LazyLock<Vec<Compiled>> = LazyLock::new(|| {
    PATTERNS
        .iter()
        .map(|p| Compiled {
            pattern: p,
            regex: Regex::new(p.regex).expect("constant name regex"),
            exclude: p
                .exclude
                .map(|e| Regex::new(e).expect("constant exclude regex")),
            context: p
                .context
                .map(|c| Regex::new(c).expect("constant context regex")),
        })
        .collect()
});

/// Tokens that say nothing on their own: the parent segment is prepended to such a leaf.
const GENERIC: &[&str] = &[
    "number", "no", "num", "nr", "value", "name", "names", "code", "id", "line", "val",
];

/// Splits one path segment into lowercase tokens (camelCase, snake_case, kebab-case, dots, spaces).
pub(crate) fn tokens(segment: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = segment.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The normalised view of an attribute path used for matching.
#[derive(Debug, Clone, Default)]
pub(crate) struct NormalPath {
    /// The effective leaf, tokens joined with `_`.
    pub leaf: String,
    /// The whole path, tokens joined with `_`.
    pub full: String,
}

/// Normalises an attribute path.
pub(crate) fn normalise(path: &[&str]) -> NormalPath {
    let segs: Vec<Vec<String>> = path
        .iter()
        .map(|s| tokens(s))
        .filter(|t| !t.is_empty())
        .collect();
    let Some(last) = segs.last() else {
        return NormalPath::default();
    };
    let mut leaf = last.clone();
    if leaf.iter().all(|t| GENERIC.contains(&t.as_str())) && segs.len() >= 2 {
        let mut joined = segs[segs.len() - 2].clone();
        joined.extend(leaf);
        leaf = joined;
    }
    NormalPath {
        leaf: leaf.join("_"),
        full: segs.concat().join("_"),
    }
}

/// Every name pattern that matches, at most one per entity (the first in table order).
pub(crate) fn matches(path: &NormalPath) -> Vec<&'static NamePattern> {
    let mut out: Vec<&'static NamePattern> = Vec::new();
    if path.leaf.is_empty() {
        return out;
    }
    for c in COMPILED.iter() {
        if out.iter().any(|p| p.entity == c.pattern.entity) {
            continue;
        }
        if !c.regex.is_match(&path.leaf) {
            continue;
        }
        if c.exclude.as_ref().is_some_and(|e| e.is_match(&path.leaf)) {
            continue;
        }
        if c.context
            .as_ref()
            .is_some_and(|cx| !cx.is_match(&path.full))
        {
            continue;
        }
        out.push(c.pattern);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entities(path: &[&str]) -> Vec<&'static str> {
        matches(&normalise(path)).iter().map(|p| p.entity).collect()
    }

    #[test]
    fn tokenises_cases() {
        assert_eq!(tokens("emailAddress"), ["email", "address"]);
        assert_eq!(tokens("IPAddress"), ["ip", "address"]);
        assert_eq!(tokens("contact-email"), ["contact", "email"]);
        assert_eq!(tokens("date.of_birth"), ["date", "of", "birth"]);
        assert_eq!(tokens("addressLine1"), ["address", "line1"]);
    }

    #[test]
    fn positives() {
        assert_eq!(entities(&["email"]), ["EMAIL_ADDRESS"]);
        assert_eq!(entities(&["e_mail"]), ["EMAIL_ADDRESS"]);
        assert_eq!(entities(&["emailAddress"]), ["EMAIL_ADDRESS"]);
        assert_eq!(entities(&["contact_email"]), ["EMAIL_ADDRESS"]);
        for p in [
            "phone",
            "mobile",
            "cell",
            "tel",
            "msisdn",
            "fax",
            "phoneNumber",
        ] {
            assert_eq!(entities(&[p]), ["PHONE_NUMBER"], "{p}");
        }
        for p in ["ssn", "social_security", "social_security_number"] {
            assert_eq!(entities(&[p]), ["US_SSN"], "{p}");
        }
        for p in ["dob", "date_of_birth", "birthdate", "birthday", "birthDate"] {
            assert_eq!(entities(&[p]), ["DATE_TIME"], "{p}");
        }
        for p in [
            "first_name",
            "last_name",
            "surname",
            "full_name",
            "given_name",
            "customer_name",
            "name",
        ] {
            assert_eq!(entities(&[p]), ["PERSON"], "{p}");
        }
        for p in [
            "address",
            "street",
            "city",
            "zip",
            "postcode",
            "postal_code",
            "country",
        ] {
            assert_eq!(entities(&[p]), ["LOCATION"], "{p}");
        }
        assert_eq!(entities(&["profile", "address", "street"]), ["LOCATION"]);
        assert_eq!(entities(&["shipping", "state"]), ["LOCATION"]);
        assert_eq!(entities(&["billing", "card", "number"]), ["CREDIT_CARD"]);
        for p in ["ip", "ip_address", "client_ip", "remote_addr", "ipAddress"] {
            assert_eq!(entities(&[p]), ["IP_ADDRESS"], "{p}");
        }
        assert_eq!(entities(&["mac_address"]), ["MAC_ADDRESS"]);
        for p in ["url", "website", "homepage", "link"] {
            assert_eq!(entities(&[p]), ["URL"], "{p}");
        }
        for p in ["card_number", "credit_card", "cc_number", "pan"] {
            assert_eq!(entities(&[p]), ["CREDIT_CARD"], "{p}");
        }
        assert_eq!(entities(&["iban"]), ["IBAN_CODE"]);
        for p in ["bank_account", "account_number", "routing_number"] {
            assert_eq!(entities(&[p]), ["US_BANK_NUMBER"], "{p}");
        }
        assert_eq!(entities(&["passport_number"]), ["US_PASSPORT"]);
        assert_eq!(entities(&["drivers_license"]), ["US_DRIVER_LICENSE"]);
        assert_eq!(entities(&["driver_licence"]), ["US_DRIVER_LICENSE"]);
        for p in ["tax_id", "tin", "itin"] {
            assert_eq!(entities(&[p]), ["US_ITIN"], "{p}");
        }
        assert_eq!(entities(&["nhs_number"]), ["UK_NHS"]);
        for p in [
            "password",
            "passwd",
            "pwd",
            "secret",
            "api_key",
            "access_key",
            "secret_key",
            "token",
            "private_key",
        ] {
            assert_eq!(entities(&[p]), ["CREDENTIAL"], "{p}");
        }
        for p in [
            "gender",
            "ethnicity",
            "race",
            "religion",
            "nationality",
            "political_party",
        ] {
            assert_eq!(entities(&[p]), ["NRP"], "{p}");
        }
        for p in ["wallet", "btc_address", "eth_address"] {
            assert_eq!(entities(&[p]), ["CRYPTO"], "{p}");
        }
    }

    #[test]
    fn multilingual() {
        for p in [
            "vorname",
            "nachname",
            "nom",
            "prénom",
            "nome",
            "cognome",
            "apellido",
            "apellidos",
            "naam",
            "voornaam",
            "achternaam",
            "sobrenome",
            "名前",
            "氏名",
            "nombre_completo",
            "kunde_name",
            "नाम",
        ] {
            assert_eq!(entities(&[p]), ["PERSON"], "{p}");
        }
        for p in [
            "ville",
            "cidade",
            "ciudad",
            "città",
            "stadt",
            "strasse",
            "straße",
            "calle",
            "rue",
            "住所",
            "市区町村",
            "郵便番号",
            "plz",
            "cep",
            "code_postal",
            "woonplaats",
            "endereco",
        ] {
            assert_eq!(entities(&[p]), ["LOCATION"], "{p}");
        }
        for p in [
            "telefon",
            "telefone",
            "téléphone",
            "teléfono",
            "電話",
            "電話番号",
            "handy",
        ] {
            assert_eq!(entities(&[p]), ["PHONE_NUMBER"], "{p}");
        }
        for p in [
            "geburtsdatum",
            "date_de_naissance",
            "生年月日",
            "data_nascimento",
        ] {
            assert_eq!(entities(&[p]), ["DATE_TIME"], "{p}");
        }
        assert_eq!(entities(&["courriel"]), ["EMAIL_ADDRESS"]);
        use phonenumber::country::Id;
        assert_eq!(region(&normalise(&["contato", "telefone"])), Some(Id::BR));
        assert_eq!(region(&normalise(&["電話"])), Some(Id::JP));
        assert_eq!(region(&normalise(&["telefono"])), None);
        assert_eq!(region(&normalise(&["phone"])), None);
    }

    #[test]
    fn negatives() {
        for p in [
            "id",
            "order_id",
            "created_at",
            "updated_at",
            "status",
            "sku",
            "zip_file",
            "product_name",
            "table_name",
            "file_name",
            "user_name",
            "display_name",
            "order_state",
            "state",
            "email_verified",
            "ip_address_count_x",
            "macbook",
            "order_number",
            "product_code",
            "password_updated_at",
            "token_type",
            "card_type",
            "username",
            "company_name",
        ] {
            let got = entities(&[p]);
            assert!(
                got.is_empty() || (p == "ip_address_count_x" && got == ["IP_ADDRESS"]),
                "{p} -> {got:?}"
            );
        }
        assert!(entities(&["product", "name"]).is_empty());
        assert!(entities(&["order", "state"]).is_empty());
        assert!(entities(&["email_address"]).contains(&"EMAIL_ADDRESS"));
        assert!(!entities(&["email_address"]).contains(&"LOCATION"));
        assert!(!entities(&["ip_address"]).contains(&"LOCATION"));
    }
}
