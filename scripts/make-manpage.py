#!/usr/bin/env python3
"""Writes the mitmwatch(1) manual page (roff) to stdout from the built binary's own help:
`mitmwatch --experimental-dump-help` (swift-argument-parser's JSON description of every command,
subcommand, option and default), so the page always matches the binary it ships with.

    scripts/make-manpage.py path/to/mitmwatch > mitmwatch.1
"""
import datetime, json, os, subprocess, sys

binary = sys.argv[1] if len(sys.argv) > 1 else "mitmwatch"
tool = json.loads(subprocess.run([binary, "--experimental-dump-help"], check=True,
                                 capture_output=True, text=True).stdout)
version = subprocess.run([binary, "--version"], check=True, capture_output=True,
                         text=True).stdout.strip()
# SOURCE_DATE_EPOCH keeps the page (and so the package) reproducible.
date = datetime.datetime.fromtimestamp(int(os.environ.get("SOURCE_DATE_EPOCH", "0")) or
                                       datetime.datetime.now().timestamp(),
                                       datetime.timezone.utc).strftime("%Y-%m-%d")


def esc(text):
    """Escapes text for roff: backslashes, and a leading dot or quote on any line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(("\\&" + line) if line[:1] in (".", "'") else line
                     for line in text.split("\n"))


def names(argument):
    out = []
    for name in argument.get("names", []):
        prefix = "-" if name["kind"] == "short" else "--"
        out.append(prefix + name["name"])
    return out


def usage(argument):
    """`\\fB--format\\fR \\fIformat\\fR`, or `\\fIfiles\\fR...` for a positional argument."""
    value = argument.get("valueName", "")
    if argument["kind"] == "positional":
        text = f"\\fI{esc(value)}\\fR" + ("..." if argument.get("isRepeating") else "")
    else:
        text = ", ".join(f"\\fB{esc(n)}\\fR" for n in names(argument))
        if argument["kind"] == "option":
            text += f" \\fI{esc(value)}\\fR"
    return text


def describe(argument):
    parts = [argument.get("abstract", "")]
    if argument.get("discussion"):
        discussion = argument["discussion"]
        if isinstance(discussion, dict):  # enumerated discussion: {"enumerated": {...}}
            discussion = json.dumps(discussion)
        parts.append(discussion)
    if argument.get("allValues") and "(values:" not in parts[0]:
        parts.append("Values: " + ", ".join(argument["allValues"]) + ".")
    if argument.get("defaultValue") not in (None, "") and "default:" not in parts[0]:
        parts.append(f"Default: {argument['defaultValue']}.")
    if (argument.get("isRepeating") and argument["kind"] != "positional"
            and "repeatable" not in parts[0]):
        parts.append("May be repeated.")
    return esc(" ".join(p for p in parts if p))


def visible(command):
    return [a for a in command.get("arguments", []) if a.get("shouldDisplay", True)
            and names(a) not in (["-h", "--help"], ["--help"], ["--version"])]


def synopsis(path, command):
    items = [f"\"{esc(' '.join(path))}\""]
    subs = [s for s in command.get("subcommands", []) if s.get("shouldDisplay", True)
            and s["commandName"] != "help"]
    if subs:
        items.append("\\fIsubcommand\\fR")
    arguments = visible(command)
    arguments.sort(key=lambda a: a["kind"] == "positional")  # options first, then operands
    for argument in arguments:
        text = usage(argument).split(", ")[-1] if argument["kind"] != "positional" else usage(argument)
        if argument["kind"] == "option" and "\\fI" not in text:
            text += f" \\fI{esc(argument.get('valueName', ''))}\\fR"
        items.append(f"[{text}]" if argument.get("isOptional") else text)
    return ".SY " + items[0] + "\n" + " ".join(items[1:]) + "\n.YS"


def section(path, command, level):
    out = []
    if level:
        out.append((".SH " if level == 1 else ".SS ") + f"\"{esc(' '.join(path))}\"")
        out.append(esc(command.get("abstract", "")))
        out.append(".PP")
        out.append(synopsis(path, command))
        if command.get("discussion"):
            out.append(".PP\n" + esc(command["discussion"]))
        for argument in visible(command):
            out.append(".TP\n" + usage(argument) + "\n" + describe(argument))
    for sub in command.get("subcommands", []):
        if sub.get("shouldDisplay", True) and sub["commandName"] != "help":
            out.extend(section(path + [sub["commandName"]], sub, min(level + 1, 2)))
    return out


root = tool["command"]
name = root["commandName"]
page = [
    f'.TH {name.upper()} 1 "{date}" "{name} {esc(version)}" "User Commands"',
    ".SH NAME",
    f"{name} \\- {esc(root.get('abstract', ''))}",
    ".SH SYNOPSIS",
]
def leaves(path, command):
    subs = [s for s in command.get("subcommands", []) if s.get("shouldDisplay", True)
            and s["commandName"] != "help"]
    if not subs:
        return [synopsis(path, command)]
    return [line for sub in subs for line in leaves(path + [sub["commandName"]], sub)]


page += leaves([name], root)
page += [
    f".SY {name}\n\\fB\\-\\-version\\fR | \\fB\\-\\-help\\fR\n.YS",
    ".SH DESCRIPTION",
    esc(root.get("discussion") or root.get("abstract", "")),
    ".PP",
    esc(f"Run `{name} help <subcommand>` or `{name} <subcommand> --help` for the same text "
        "as this page, from the binary itself."),
]
page += section([name], root, 0)
page += [
    ".SH FILES",
    ".TP\n\\fI/etc/mitmwatch/config.json\\fR\nConfiguration of the live daemon "
    "(a copy of config.example.json from the source tree; every key is described in README.md, "
    "among them capture.method and capture.workers for AF_PACKET capture on several threads).",
    ".TP\n\\fI/var/log/mitmwatch/alerts.json\\fR\nAlerts of the live daemon, one JSON object per line "
    "(rotated by /etc/logrotate.d/mitmwatch; reopened on SIGHUP).",
    ".TP\n\\fI/lib/systemd/system/mitmwatch.service\\fR\nThe systemd unit "
    "(not enabled on install: \\fBsystemctl enable \\-\\-now mitmwatch\\fR).",
    ".TP\n\\fI/usr/share/doc/mitmwatch/\\fR\nREADME.md and the provenance of the built\\-in "
    "indicator data (copyright).",
    ".SH SEE ALSO",
    "\\fBsystemd.exec\\fR(5), \\fBpacket\\fR(7), \\fBpcap\\fR(7), \\fBlogrotate\\fR(8)",
]
print("\n".join(page))
