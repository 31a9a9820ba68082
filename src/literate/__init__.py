"""literate: tangle, execute and weave Markdown chapters whose code is real.

The tool knows nothing about any particular book: it reads chapters, writes the
package their `#@save` blocks define, runs their code and puts the outputs into
the rendered pages.
"""
