//! Word lists that type a capitalised phrase or reject it: stop words, roles and
//! honorifics (person), organisation keywords and suffixes (org), given names,
//! reporting verbs. Kept apart from the phrase logic so the lists can grow
//! without touching the algorithm.

use std::collections::HashSet;
use std::sync::LazyLock;

static STOPWORDS: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| word_set(include_str!("../../data/gazetteer/stopwords.txt")));

static FIRST_NAMES: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| word_set(include_str!("../../data/gazetteer/first_names.txt")));

fn word_set(data: &'static str) -> HashSet<&'static str> {
    data.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
}

/// Lower-cases `word` into `buf` without allocating when it is short ASCII.
pub(crate) fn lower<'b>(word: &str, buf: &'b mut String) -> &'b str {
    buf.clear();
    if word.is_ascii() {
        buf.extend(word.bytes().map(|b| b.to_ascii_lowercase() as char));
    } else {
        buf.extend(word.chars().flat_map(char::to_lowercase));
    }
    buf.as_str()
}

pub(crate) fn is_stopword(lowered: &str) -> bool {
    STOPWORDS.contains(lowered)
}

pub(crate) fn is_first_name(word: &str) -> bool {
    FIRST_NAMES.contains(word)
}

/// Lower-case words allowed inside a name between capitalised words.
pub(crate) fn is_connector(word: &str) -> bool {
    matches!(word, "of" | "for" | "and" | "the" | "des" | "&") || is_name_particle(word)
}

/// Connectors that may sit inside a personal name ("Javier Perez de Cuellar").
pub(crate) fn is_name_particle(word: &str) -> bool {
    matches!(
        word,
        "de" | "du"
            | "da"
            | "do"
            | "dos"
            | "del"
            | "della"
            | "di"
            | "van"
            | "von"
            | "der"
            | "den"
            | "la"
            | "le"
            | "al"
            | "bin"
            | "ibn"
    )
}

/// Capitalised titles and roles that precede a person's name.
pub(crate) fn is_role(word: &str) -> bool {
    // Every honorific is a role too; these are the roles that are not honorifics.
    is_honorific(word)
        || matches!(
            word,
            "Professor"
            | "Lady"
            | "Vice"
            | "Chairwoman"
            | "Chair"
            | "Representative"
            | "Congressman"
            | "Congresswoman"
            | "Princess"
            | "Emir"
            | "Sultan"
            | "Col"
            | "Colonel"
            | "Admiral"
            | "Lt"
            | "Justice"
            | "Director"
            | "Spokesman"
            | "Spokeswoman"
            | "Treasurer"
            | "Deputy"
            | "Chief"
            | "Leader"
            | "Speaker"
            | "Envoy"
            | "Analyst"
            | "Economist"
            | "Officer"
            | "Executive"
            | "Captain"
            | "Capt"
            | "Messrs"
            | "Rev"
            | "Father"
            | "Cardinal"
            | "Archbishop"
            | "Bishop"
            | "Marshal"
            | "Comrade"
            | "Dictator"
            // German capitalises every noun, so its roles come before a name like English
            // titles do: "Bundeskanzler Olaf Scholz", "Frau Merkel".
            | "Ministerpräsident"
            | "Ministerpräsidentin"
            | "Außenminister"
            | "Außenministerin"
            | "Ministerin"
            | "Bürgermeister"
            | "Bürgermeisterin" // French "M. Macron", "Mme Borne"; Vietnamese "Ông", "Bà" (Mr, Mrs).
        )
}

/// Lower-case roles that precede a name in French, Spanish, Italian, Portuguese, Russian
/// and Vietnamese ("le président Emmanuel Macron", "el presidente Pedro Sánchez",
/// "президент Владимир Путин"), with the word before for Vietnamese roles of two syllables
/// ("Thủ tướng Phạm Minh Chính").
pub(crate) fn is_lowercase_role(before: Option<&str>, word: &str) -> bool {
    let single = matches!(
        word,
        "président"
            | "présidente"
            | "ministre"
            | "chancelier"
            | "chancelière"
            | "presidente"
            | "presidenta"
            | "ministro"
            | "ministra"
            | "canciller"
            | "primo"
            | "президент"
            | "премьер"
            | "министр"
            | "канцлер"
            | "председатель"
            | "губернатор"
            | "мэр"
            | "глава"
            | "генсек"
            | "госсекретарь"
            | "пресс-секретарь"
    );
    let vietnamese = matches!(
        (before.map(str::to_lowercase).as_deref(), word),
        (Some("thủ"), "tướng")
            | (Some("chủ"), "tịch")
            | (Some("tổng"), "thống")
            | (Some("bộ"), "trưởng")
            | (Some("bí"), "thư")
    );
    single || vietnamese
}

/// Honorifics strong enough to make a lone surname a person ("Mr Volcker").
pub(crate) fn is_honorific(word: &str) -> bool {
    matches!(
        word,
        "Mr" | "Mrs"
            | "Ms"
            | "Miss"
            | "Dr"
            | "Prof"
            | "Sir"
            | "Dame"
            | "Lord"
            | "Sen"
            | "Senator"
            | "Rep"
            | "Gov"
            | "Governor"
            | "President"
            | "Premier"
            | "Chancellor"
            | "Chairman"
            | "Minister"
            | "Secretary"
            | "General"
            | "Gen"
            | "Sheikh"
            | "Sheik"
            | "King"
            | "Queen"
            | "Prince"
            | "Pope"
            | "Ayatollah"
            | "Judge"
            | "Ambassador"
            | "Mayor"
            | "Commissioner"
            | "Bundeskanzler"
            | "Bundeskanzlerin"
            | "Kanzler"
            | "Kanzlerin"
            | "Präsident"
            | "Präsidentin"
            | "Herr"
            | "Frau"
            | "M"
            | "Mme"
            | "Ông"
            | "Bà"
    )
}

/// Lower-case role nouns in an appositive after a name: "Victor Cha, senior
/// vice president", "Danny Russel, a former top US diplomat".
pub(crate) fn is_appositive_role(word: &str) -> bool {
    matches!(
        word,
        "president"
            | "chairman"
            | "chairwoman"
            | "chief"
            | "minister"
            | "diplomat"
            | "analyst"
            | "economist"
            | "spokesman"
            | "spokeswoman"
            | "spokesperson"
            | "director"
            | "executive"
            | "secretary"
            | "governor"
            | "ambassador"
            | "official"
            | "professor"
            | "senator"
            | "founder"
            | "head"
            | "leader"
            | "expert"
            | "adviser"
            | "advisor"
            | "lawyer"
            | "researcher"
            | "fellow"
            | "manager"
            | "treasurer"
            | "commissioner"
            | "correspondent"
            | "author"
            | "negotiator"
            | "envoy"
            | "general"
            | "partner"
            | "strategist"
            | "trader"
            | "dealer"
            | "banker"
            | "mayor"
            | "congressman"
            | "judge"
    )
}

/// Words that may sit between the comma and the role noun of an appositive.
pub(crate) fn is_appositive_filler(word: &str) -> bool {
    matches!(
        word,
        "a" | "an"
            | "the"
            | "former"
            | "senior"
            | "top"
            | "vice"
            | "deputy"
            | "assistant"
            | "chief"
            | "executive"
            | "managing"
            | "general"
            | "its"
            | "his"
            | "her"
            | "their"
            | "then"
            | "retired"
            | "veteran"
            | "leading"
            | "foreign"
            | "finance"
            | "trade"
            | "economic"
            | "political"
            | "research"
            | "defence"
            | "defense"
            | "associate"
            | "regional"
            | "acting"
            | "prime"
            | "state"
            | "senate"
            | "federal"
            | "national"
            | "international"
    )
}

/// Reporting verbs: two capitalised words next to one are most likely a person.
pub(crate) fn is_reporting_verb(word: &str) -> bool {
    matches!(
        word,
        "said"
            | "says"
            | "told"
            // German, Spanish and Russian verbs of saying after a name.
            | "sagte"
            | "erklärte"
            | "betonte"
            | "dijo"
            | "afirmó"
            | "declaró"
            | "заявил"
            | "заявила"
            | "сказал"
            | "сказала"
            | "сообщил"
            | "сообщила"
            | "отметил"
            | "отметила"
            | "подчеркнул"
            | "added"
            | "noted"
            | "argued"
            | "explained"
            | "wrote"
            | "stated"
            | "warned"
            | "believes"
            | "believed"
            | "points"
            | "pointed"
            | "asked"
            | "replied"
            | "insisted"
            | "suggested"
            | "acknowledged"
            | "commented"
    )
}

/// Words that make a capitalised phrase an organisation wherever they stand in it.
pub(crate) fn is_org_keyword(word: &str) -> bool {
    matches!(
        word,
        "Bank"
            | "Council"
            | "Center"
            | "Centre"
            | "Ministry"
            | "Party"
            | "University"
            | "Institute"
            | "Commission"
            | "Association"
            | "Agency"
            | "Fund"
            | "Organization"
            | "Organisation"
            | "Committee"
            | "Board"
            | "Federation"
            | "Union"
            | "Authority"
            | "Department"
            | "Exchange"
            | "Trust"
            | "Holdings"
            | "Industries"
            | "Securities"
            | "Foundation"
            | "Society"
            | "Bureau"
            | "Airlines"
            | "Airways"
            | "Motors"
            | "Company"
            | "Corporation"
            | "Group"
            | "Institution"
            | "College"
            | "Academy"
            | "Court"
            | "Parliament"
            | "Congress"
            | "Assembly"
            | "Administration"
            | "Office"
            | "Service"
            | "Services"
            | "Systems"
            | "Technologies"
            | "Laboratories"
            | "Partners"
            | "Bancorp"
            | "Bancshares"
            | "Financial"
            | "Petroleum"
            | "Oil"
            | "Energy"
            | "Chemical"
            | "Chemicals"
            | "Electric"
            | "Steel"
            | "Mining"
            | "Insurance"
            | "Capital"
            | "Investments"
            | "Enterprises"
            | "Brothers"
            | "Network"
            | "Times"
            | "Post"
            | "Journal"
            | "Forum"
            | "Alliance"
            | "Coalition"
            | "Front"
            | "Army"
            | "Navy"
            | "Police"
            | "Club"
            | "League"
            | "Consortium"
            | "Cooperative"
    )
}

/// Legal-form suffixes: only meaningful as the last word of a company name.
pub(crate) fn is_org_suffix(word: &str) -> bool {
    matches!(
        word,
        "Inc"
            | "Corp"
            | "Co"
            | "Ltd"
            | "Plc"
            | "PLC"
            | "AG"
            | "SA"
            | "NV"
            | "BV"
            | "GmbH"
            | "SpA"
            | "AB"
            | "ASA"
            | "Cos"
            | "LLC"
            | "LP"
            | "Bhd"
            | "KK"
            | "Pty"
            | "Limited"
            | "Incorporated"
            | "AS"
            | "Oy"
            | "SE"
    )
}
