# Apache SkyWalking OAP 9.6.0, the image the OAPServer Deployments name (tools/images/oap.sh).
OAP_VERSION=9.6.0
# shellcheck source=../oap.sh
source "$HERE/oap.sh"
