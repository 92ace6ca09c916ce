"""The pure core of verifiable ballots: no Django, no database (see ``docs/verifiable-ballots.md``).

It follows the protocol choices of Belenios' specification (version 4.0, ``doc/specification.tex``
in glondu/belenios); each module names the section it follows. The wire format is Asamblea's own
("asamblea-verifiable/1"), written down in ``docs/verifiable-ballots.md`` so that anyone can write
a verifier for it.
"""
