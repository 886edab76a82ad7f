from diffviz.cli import main

raise SystemExit(main())
