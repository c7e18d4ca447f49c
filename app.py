from ops_ui import create_app

app = create_app()
