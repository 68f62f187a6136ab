# Test-only JupyterLab server config (mirrors jupyterlab.galata's): loopback, no token, the app
# exposed to the page as window.jupyterapp, no update/news checks (the machines are offline).
import tempfile

c = get_config()  # noqa: F821 (injected by Jupyter)
c.ServerApp.ip = "127.0.0.1"
c.ServerApp.port_retries = 0
c.ServerApp.open_browser = False
c.IdentityProvider.token = ""
c.ServerApp.password = ""
c.ServerApp.disable_check_xsrf = True
c.ServerApp.allow_root = True
c.LabApp.expose_app_in_browser = True
c.LabApp.workspaces_dir = tempfile.mkdtemp(prefix="lab-ws-")
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
