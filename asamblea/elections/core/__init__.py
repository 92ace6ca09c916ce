"""The elections' pure core beside the counting methods: ballot formats (``ballots``), counting a
stored election (``count``), result tables and charts (``tables``, ``charts``). No Django."""
