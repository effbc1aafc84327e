#!/usr/bin/env python3
"""render.py — renders a Rancher 1.x catalog version folder the way Rancher does.

Rancher (rancher-compose-executor, 1.5+) handles a compose file in two passes:
  1. the raw text is a Go text/template: answers as {{ .Values.VAR }}, the stack as
     {{ .Stack.Name }} (1.6.6+), {{ if ... }} / {{ else }} / {{ end }}, "{{-" and "-}}" trimming
     the whitespace beside them; a file whose first line is "# notemplating" is left alone;
  2. the result is parsed as YAML and every string value is interpolated docker-compose style:
     ${VAR} and $VAR become the answer (an unset one becomes ""), $$ is a literal $.
     Interpolation works on parsed values, so an answer holding ": " or "#" cannot break YAML.

Only the subset of Go templates that catalog entries use is understood; anything else is an
error (RenderError), so a template cannot lean on a feature nobody has tested here.
The .catalog block (questions) is read from the raw rancher-compose.yml, as catalog-service
does: top-level ".catalog" or "catalog", or "services: .catalog" in a version 2 file.

Command line (for a look by hand):
  render.py VERSION_DIR [--stack NAME] [VAR=VALUE ...]   prints both rendered files
"""

import os
import re
import sys

import yaml


class RenderError(Exception):
    """A template or an answer this renderer (and so Rancher) cannot handle."""


# ---------------------------------------------------------------------------------------------
# The catalog block and its answers

def load_catalog(rancher_compose_text):
    """The .catalog block of a raw rancher-compose.yml, as a dict."""
    doc = yaml.safe_load(rancher_compose_text) or {}
    for holder in (doc, doc.get("services") or {}):
        for key in (".catalog", "catalog"):
            if isinstance(holder.get(key), dict):
                return holder[key]
    raise RenderError("rancher-compose.yml has no .catalog block")


def default_answers(questions):
    """What the UI pre-fills: each question's default, as the string Rancher stores."""
    answers = {}
    for question in questions:
        default = question.get("default")
        answers[question["variable"]] = "" if default is None else str(default)
    return answers


# ---------------------------------------------------------------------------------------------
# Pass 1: the Go template subset

ACTION = re.compile(r"\{\{(-?)\s*(.*?)\s*(-?)\}\}", re.S)
VALUE_REF = re.compile(r"^\.Values\.([A-Za-z_][A-Za-z0-9_]*)$")
STRING_LIT = re.compile(r'^"((?:[^"\\]|\\.)*)"$')


def _operand(token, values, stack_name):
    """The value of one operand: .Values.X, .Stack.Name or a "string" literal."""
    match = VALUE_REF.match(token)
    if match:
        # A missing key is Go's zero value: printed "<no value>", false in an if.
        return values.get(match.group(1))
    if token == ".Stack.Name":
        if stack_name is None:
            raise RenderError("{{ .Stack.Name }} needs a stack name (Rancher >= 1.6.6)")
        return stack_name
    match = STRING_LIT.match(token)
    if match:
        return bytes(match.group(1), "utf-8").decode("unicode_escape")
    raise RenderError("unsupported template operand: %s" % token)


def _condition(expr, values, stack_name):
    """An if condition: one operand (true when non-empty), or eq / ne of two."""
    words = re.findall(r'"(?:[^"\\]|\\.)*"|\S+', expr)
    if len(words) == 1:
        return bool(_operand(words[0], values, stack_name))
    if len(words) == 3 and words[0] in ("eq", "ne"):
        left = _operand(words[1], values, stack_name)
        right = _operand(words[2], values, stack_name)
        return (left == right) == (words[0] == "eq")
    raise RenderError("unsupported if condition: %s" % expr)


def _tokens(text):
    """Splits into ("text", str) and ("action", str) tokens, applying the trim markers."""
    tokens = []
    pos = 0
    trim_next = False
    for match in ACTION.finditer(text):
        chunk = text[pos:match.start()]
        if trim_next:
            chunk = chunk.lstrip()
        if match.group(1):
            chunk = chunk.rstrip()
        tokens.append(("text", chunk))
        tokens.append(("action", match.group(2)))
        trim_next = bool(match.group(3))
        pos = match.end()
    tail = text[pos:]
    tokens.append(("text", tail.lstrip() if trim_next else tail))
    return tokens


def render_go_template(text, values, stack_name=None):
    """Pass 1. values: the answers (.Values); stack_name: .Stack.Name."""
    if text.startswith("# notemplating"):
        return text
    out = []
    # Each frame: [emitting?, parent emitting?, seen else?]
    stack = [[True, True, False]]
    for kind, token in _tokens(text):
        frame = stack[-1]
        if kind == "text":
            if frame[0]:
                out.append(token)
        elif token.startswith("if "):
            active = frame[0] and _condition(token[3:], values, stack_name)
            stack.append([active, frame[0], False])
        elif token == "else":
            if len(stack) == 1 or frame[2]:
                raise RenderError("{{ else }} without {{ if }}")
            frame[2] = True
            frame[0] = frame[1] and not frame[0]
        elif token == "end":
            if len(stack) == 1:
                raise RenderError("{{ end }} without {{ if }}")
            stack.pop()
        elif token.startswith("/*"):
            continue
        else:
            if frame[0]:
                value = _operand(token, values, stack_name)
                out.append("<no value>" if value is None else str(value))
    if len(stack) != 1:
        raise RenderError("{{ if }} without {{ end }}")
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# Pass 2: ${VAR} interpolation of the parsed values

INTERPOLATION = re.compile(r"\$(?:(\$)|\{([^}]*)\}|([A-Za-z_][A-Za-z0-9_]*)|)")
VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def interpolate_string(text, answers):
    """${VAR} / $VAR -> answer ("" when unset), $$ -> $. Other forms are errors."""
    def replace(match):
        escaped, braced, bare = match.groups()
        if escaped:
            return "$"
        name = braced if braced is not None else bare
        if name is None:
            raise RenderError("lone '$' in %r (write $$ for a literal $)" % text)
        if not VAR_NAME.match(name):
            raise RenderError("unsupported interpolation ${%s} in %r" % (name, text))
        return answers.get(name, "")
    return INTERPOLATION.sub(replace, text)


def interpolate(node, answers):
    """Interpolates every string value of a parsed YAML document (keys are left as they are)."""
    if isinstance(node, dict):
        return {key: interpolate(value, answers) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolate(value, answers) for value in node]
    if isinstance(node, str):
        return interpolate_string(node, answers)
    return node


def variables_used(text):
    """Every ${VAR} / $VAR named in a raw file (not $$-escaped ones), and every .Values.VAR."""
    names = set()
    for match in INTERPOLATION.finditer(text):
        name = match.group(2) or match.group(3)
        if name:
            names.add(name)
    names.update(re.findall(r"\.Values\.([A-Za-z_][A-Za-z0-9_]*)", text))
    return names


# ---------------------------------------------------------------------------------------------
# A whole version folder

def render_file(text, answers, stack_name):
    """Both passes; returns the parsed, interpolated YAML document."""
    rendered = render_go_template(text, answers, stack_name)
    try:
        doc = yaml.safe_load(rendered)
    except yaml.YAMLError as err:
        raise RenderError("rendered file is not YAML: %s\n%s" % (err, rendered)) from err
    return interpolate(doc, answers)


def render_version(version_dir, answers=None, stack_name="keepvip"):
    """Renders docker-compose.yml and rancher-compose.yml of a version folder.

    answers: overrides of the questions' defaults (the UI pre-fills the defaults, the user
    changes some). Returns (catalog, answers used, docker-compose doc, rancher-compose doc)."""
    def read(name):
        with open(os.path.join(version_dir, name), encoding="utf-8") as handle:
            return handle.read()

    rancher_text = read("rancher-compose.yml")
    catalog = load_catalog(rancher_text)
    used = default_answers(catalog.get("questions") or [])
    used.update(answers or {})
    docker_doc = render_file(read("docker-compose.yml"), used, stack_name)
    rancher_doc = render_file(rancher_text, used, stack_name)
    return catalog, used, docker_doc, rancher_doc


def environment_of(service):
    """A compose service's environment (list of NAME=VALUE, or a map) as a dict of strings."""
    env = service.get("environment") or {}
    if isinstance(env, dict):
        return {key: "" if value is None else str(value) for key, value in env.items()}
    result = {}
    for item in env:
        name, sep, value = str(item).partition("=")
        if not sep:
            raise RenderError("environment item without '=': %r" % item)
        result[name] = value
    return result


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[-1].strip())
        return 2
    version_dir = argv[1]
    stack = "keepvip"
    answers = {}
    rest = argv[2:]
    while rest:
        arg = rest.pop(0)
        if arg == "--stack" and rest:
            stack = rest.pop(0)
        elif "=" in arg:
            name, _, value = arg.partition("=")
            answers[name] = value
        else:
            print("render.py: bad argument %r" % arg, file=sys.stderr)
            return 2
    try:
        _, _, docker_doc, rancher_doc = render_version(version_dir, answers, stack)
    except (RenderError, OSError) as err:
        print("render.py: %s" % err, file=sys.stderr)
        return 1
    print("# docker-compose.yml")
    print(yaml.safe_dump(docker_doc, sort_keys=False), end="")
    print("# rancher-compose.yml")
    print(yaml.safe_dump(rancher_doc, sort_keys=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
