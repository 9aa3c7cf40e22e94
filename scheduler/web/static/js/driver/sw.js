// driver service worker (filled in by the driver view work)
