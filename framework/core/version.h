/* infoplane's version, stored with every result. */
#ifndef IP_VERSION_H
#define IP_VERSION_H
#define IP_VERSION "0.1.0"
#endif
