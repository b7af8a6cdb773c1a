"""PDF reports typeset with ReportLab: the shared page layout (:mod:`.layout`) and the
regional monitoring report (:mod:`.regional`)."""
