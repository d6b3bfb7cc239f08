"""``cbec-bot policy`` (the source documents) and ``cbec-bot faq`` (the FAQ built on them)."""

from __future__ import annotations

import json

import click

from policy_faq.corpus import document_of, documents_by_id, get_clause, load_corpus
from policy_faq.search import search_clauses


@click.group()
def policy() -> None:
    """The six policy documents clause by clause, and the national rules they lean on."""


@policy.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON list of {doc, clause, title, status, kind, number}.")
def policy_list(as_json: bool) -> None:
    """List every clause id with its document's status (national rules: one summarised clause each)."""
    rows = [
        {"doc": doc.id, "clause": c.clause, "title": c.heading, "status": doc.status, "ref": c.ref,
         "kind": doc.kind, "number": doc.number}
        for doc in load_corpus()
        for c in doc.clauses
    ]  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    national = False
    for doc in load_corpus():
        if doc.is_national and not national:
            national = True
            click.echo("\n全国性规定（要点摘要，非原文）：")
        title = f"{doc.number}  {doc.title}" if doc.number and doc.number not in doc.title else doc.title
        click.echo(f"{doc.id}  {title}  [{doc.status_label}, {doc.jurisdiction}, {doc.date}]")
        for c in doc.clauses:
            click.echo(f"  {c.ref:<24} {c.heading}")


@policy.command("show")
@click.argument("ref")
def policy_show(ref: str) -> None:
    """Show one clause, e.g. dalian-gxq-2026:5 or cs-2018-103 (a national rule's summary)."""
    ref = ref.strip()
    if ":" not in ref and ref in documents_by_id() and documents_by_id()[ref].is_national:
        ref += ":main"  # a national rule has one clause
    try:
        clause = get_clause(ref)
    except KeyError:
        raise click.UsageError(f"no clause {ref!r}; `cbec-bot policy list` shows the ids (e.g. dalian-gxq-2026:5)") from None
    doc = document_of(clause.ref)
    click.echo(f"{doc.title}\n[{doc.status_label}] {doc.issuer} · {doc.date} · {doc.jurisdiction}")
    if doc.number and doc.number not in doc.title:
        click.echo(f"文号: {doc.number}")
    if doc.effective:
        click.echo(f"施行日期 {doc.effective}")
    if doc.valid_until:
        click.echo(f"有效期至 {doc.valid_until}")
    if doc.note:
        click.echo(f"注意: {doc.note}")
    from policy_faq.supersession import successors

    if doc.supersedes:
        click.echo(f"取代 {doc.supersedes}")
    if doc.id in successors():
        newer = successors()[doc.id]
        click.echo(f"已被 {newer.id} 取代（施行 {newer.effective or newer.date}）")
    click.echo(f"\n{clause.ref}  {clause.heading}\n{clause.text}")
    if clause.units:
        click.echo(f"\n责任单位: {'、'.join(clause.units)}")


@policy.command("search")
@click.argument("text", nargs=-1)
@click.option("--limit", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--json", "as_json", is_flag=True)
def policy_search(text: tuple[str, ...], limit: int, as_json: bool) -> None:
    """Find the clauses that best match TEXT."""
    query = " ".join(text).strip()
    if not query:
        raise click.UsageError("give some words to search for, e.g. `cbec-bot policy search 海外仓`")
    hits = search_clauses(query, limit=limit)
    if as_json:
        click.echo(json.dumps([h.as_dict() for h in hits], ensure_ascii=False, indent=1))
        return
    if not hits:
        click.echo("没有找到相关条款。")
    for hit in hits:
        click.echo(f"{hit.clause.ref:<24} {hit.score:.2f}  {hit.clause.heading}\n    {hit.snippet}")


@policy.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--id", "doc_id", required=True, help="Document id, e.g. dalian-gxq-2027 (cited as ID:CLAUSE).")
@click.option("--title", required=True, help="The document's title, as printed on it.")
@click.option("--issuer", required=True)
@click.option("--date", "issued", required=True, help="Date of issue: YYYY-MM-DD (or YYYY).")
@click.option("--jurisdiction", required=True, help="大连高新区, 辽宁省, 营口市, 盘锦市, 四川省 or 全国.")
@click.option("--status", required=True, type=click.Choice(["draft", "in-force", "historical"]))
@click.option("--valid-until", default=None, help="Last day it applies (YYYY-MM-DD).")
@click.option("--effective", default=None, help="First day it applies (YYYY-MM-DD) [default: --date].")
@click.option("--supersedes", default=None, help="Id of the document it replaces (e.g. the draft of a final text).")
@click.option("--region", default=None, help="Region code when the jurisdiction is not one of the known ones.")
@click.option("--period", default=None, help="The period it covers, e.g. 2027—2029年.")
@click.option("--dry-run", is_flag=True, help="Print the clauses found and store nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the parse as JSON.")
@click.option("--url", default=None, help="The running server to reload [default: http://CBEC_HOST:CBEC_PORT].")
@click.pass_obj
def policy_add(settings, file: str, doc_id: str, title: str, issuer: str, issued: str, jurisdiction: str, status: str,
               valid_until: str | None, effective: str | None, supersedes: str | None, region: str | None,
               period: str | None, dry_run: bool, as_json: bool, url: str | None) -> None:  # fmt: skip
    """Add a policy document (.txt, .md, .docx or a text .pdf): split into clauses by its own
    numbering, stored beside the FAQ (documents/ID.yaml), then checked and reloaded."""
    from pathlib import Path

    from policy_faq.documents_ops import add_document
    from policy_faq.ingest import IngestError, Metadata

    meta = Metadata(doc_id, title, issuer, issued, jurisdiction, status, valid_until, supersedes, effective, region, period)
    try:
        result = add_document(Path(file), meta, dry_run=dry_run)
    except IngestError as error:
        raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        click.echo(result.parse_text)
        for line in result.messages:
            click.echo(line)
    if dry_run:
        return
    if not result.ok:
        raise SystemExit(1)
    _tell_server(settings, url)


def _tell_server(settings, url: str | None) -> None:
    """Ask a running server to reload; none running is fine (it reads the documents when it starts)."""
    import httpx

    from bot.channels.web.operator import reload_token

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = (url or f"http://{host}:{settings.port}").rstrip("/")
    try:
        response = httpx.post(f"{url}/staff/api/reload", headers={"authorization": f"Bearer {reload_token(settings)}"},
                              timeout=120)  # fmt: skip
        click.echo(f"服务器：{response.json().get('reason', '')}")
    except (httpx.HTTPError, ValueError):
        click.echo(f"没有在 {url} 找到运行中的服务器；服务器下次启动时会读入这份文件。")


@click.group()
def faq() -> None:
    """The FAQ: validate, evaluate, reload."""


@faq.command("validate")
@click.option("--json", "as_json", is_flag=True, help="Print the counts and errors as JSON.")
def faq_validate(as_json: bool) -> None:
    """Check every FAQ file: schema, ids, citations, draft/historical wording, coverage."""
    from intents.respond import faq_dir
    from policy_faq.validate import known_checklist_ids, validate

    report = validate(faq_dir(), checklist_ids=known_checklist_ids())  # CBEC_FAQ_DIR when set
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1))
    else:
        for line in report.errors:
            click.echo(f"error: {line}", err=True)
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)
        click.echo(
            f"{report.intents} intents, {report.questions} questions, "
            f"{report.clauses_covered}/{report.clauses_total} clauses covered or excluded, "
            f"{len(report.errors)} errors, {len(report.warnings)} warnings"
        )
    if report.errors:
        raise SystemExit(1)


@faq.command("eval")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.option("--dev-set", "dev_set", type=click.Path(exists=True, dir_okay=False), default=None, help="Default: tests/data/dev_set.yaml.")
@click.option("--tokenizer", type=click.Choice(["char", "jieba", "both"]), default=None, help="Override the tokeniser (to compare them).")
@click.option("--misses", is_flag=True, help="Also list every enquiry the matcher got wrong.")
@click.option("--no-baselines", is_flag=True, help="Skip the two baselines.")
@click.option("--dialogues", "dialogue_file", type=click.Path(dir_okay=False), default=None, help="Multi-turn dialogues (default: tests/data/dialogues.yaml; skipped when absent).")
def faq_eval(as_json: bool, dev_set: str | None, tokenizer: str | None, misses: bool, no_baselines: bool, dialogue_file: str | None) -> None:
    """Accuracy and decisions on the dev set (current and old decision policy, two baselines),
    and follow-ups in the dialogues."""
    from pathlib import Path

    from intents.dialogues import DIALOGUES, load_dialogues
    from intents.evaluate import DEV_SET, evaluate, load_dev_set, render
    from policy_faq.faq import FaqError, load_faq

    path = Path(dev_set) if dev_set else DEV_SET
    if not path.exists():
        raise click.UsageError(f"no dev set at {path}; give one with --dev-set")
    try:
        loaded = load_faq()
    except FaqError as error:
        click.echo(f"warning: the FAQ has {len(error.problems)} problems; evaluating the valid files only", err=True)
        loaded = load_faq(strict=False)
    dialogue_path = Path(dialogue_file) if dialogue_file else DIALOGUES
    if dialogue_file and not dialogue_path.exists():
        raise click.UsageError(f"no dialogues at {dialogue_path}")
    dialogues = load_dialogues(dialogue_path) if dialogue_path.exists() else None
    report = evaluate(loaded, load_dev_set(path), tokenizer=tokenizer, baselines=not no_baselines, dialogues=dialogues)
    if as_json:
        if not misses:
            for figures in (report["matcher"], report["legacy_policy"]):
                figures.pop("misses", None)
                figures.pop("oos_leaks", None)
            for runs in report.get("dialogues", {}).values():
                for figures in runs.values():
                    figures.pop("misses", None)
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
    else:
        click.echo(render(report, show_misses=misses))


@faq.command("reload")
@click.option("--url", default=None, help="The running server [default: http://CBEC_HOST:CBEC_PORT].")
@click.option("--check", is_flag=True, help="Only validate and evaluate here; tell no server.")
@click.pass_obj
def faq_reload(settings, url: str | None, check: bool) -> None:
    """Tell the running server to load the edited FAQ (validated and dev-set checked first)."""
    if check:
        from intents.reload import reload_faq

        outcome = reload_faq()  # in this process: a dry run of what the server would decide
        click.echo(outcome.reason)
        raise SystemExit(0 if outcome.ok else 1)
    import httpx

    from bot.channels.web.operator import reload_token

    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    url = (url or f"http://{host}:{settings.port}").rstrip("/")
    try:
        response = httpx.post(f"{url}/staff/api/reload", headers={"authorization": f"Bearer {reload_token(settings)}"},
                              timeout=120)  # fmt: skip
    except httpx.HTTPError as error:
        raise click.ClickException(f"no cbec-bot server answered at {url} ({type(error).__name__}); "
                                   "a server started later loads the current FAQ anyway") from None  # fmt: skip
    try:
        body = response.json()
    except ValueError:
        raise click.ClickException(f"{url} answered HTTP {response.status_code}, not a cbec-bot server?") from None
    click.echo(body.get("reason", ""))
    if body.get("version"):
        click.echo(f"faq version {body['version']}" + (f", dev-set top-1 {body['top1']:.1%}" if body.get("top1") is not None else ""))
    raise SystemExit(0 if response.status_code == 200 and body.get("ok") else 1)
