-- contributions.csv in SQLite. Load with:
--   .import --csv --skip 1 contributions.csv contributions
CREATE TABLE contributions (
    contribution_id TEXT PRIMARY KEY,
    campaign        TEXT NOT NULL,
    form            TEXT NOT NULL,
    serial          TEXT NOT NULL CHECK (length(serial) = 6),
    question_id     TEXT NOT NULL,
    question_label  TEXT NOT NULL,
    urn_id          TEXT NOT NULL,
    urn_name        TEXT NOT NULL,
    quartier        TEXT NOT NULL,
    channel         TEXT NOT NULL,
    batch           TEXT NOT NULL,
    text            TEXT NOT NULL,
    confidence      INTEGER NOT NULL CHECK (confidence BETWEEN 0 AND 100),
    needs_review    TEXT NOT NULL CHECK (needs_review IN ('true', 'false')),
    review_reasons  TEXT NOT NULL,
    profil          TEXT NOT NULL,
    age             TEXT NOT NULL,
    source_file     TEXT NOT NULL,
    page            INTEGER NOT NULL CHECK (page >= 1),
    crop_file       TEXT NOT NULL,
    reviewed        TEXT NOT NULL CHECK (reviewed IN ('true', 'false')),
    ocr_text        TEXT NOT NULL
);
