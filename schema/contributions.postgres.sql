-- contributions.csv in PostgreSQL. Load with:
--   \copy contributions FROM 'contributions.csv' WITH (FORMAT csv, HEADER true)
-- (a run with --excel writes ';' and a BOM: load the plain file, not that one).
-- An empty cell loads as NULL: text (nothing read), review_reasons, profil, age.
CREATE TABLE contributions (
    contribution_id text PRIMARY KEY,
    campaign        text NOT NULL,
    form            text NOT NULL,
    serial          char(6) NOT NULL,
    question_id     text NOT NULL,
    question_label  text NOT NULL,
    urn_id          text NOT NULL,
    urn_name        text NOT NULL,
    quartier        text NOT NULL,
    channel         text NOT NULL,
    batch           text NOT NULL,
    text            text,
    confidence      smallint NOT NULL CHECK (confidence BETWEEN 0 AND 100),
    needs_review    boolean NOT NULL,
    review_reasons  text,
    profil          text,
    age             text,
    source_file     text NOT NULL,
    page            integer NOT NULL CHECK (page >= 1),
    crop_file       text NOT NULL,
    reviewed        boolean NOT NULL,
    ocr_text        text
);
