"""gridmap: the Streamlit entry point. Run with ``streamlit run app.py``; on the first
run it builds the city demo store. The shell (language, login, navigation, area
filter) is ``pages/shared/shell.py``; the pages are ``pages/*.py``."""

from pages.shared.shell import main

main()
