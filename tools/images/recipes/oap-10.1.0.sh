# Apache SkyWalking OAP 10.1.0, the image the OAPServer Deployments name (tools/images/oap.sh).
OAP_VERSION=10.1.0
# shellcheck source=../oap.sh
source "$HERE/oap.sh"
