package discuz

// Fixtures for the config readers. Each was checked with PHP 8.2 (php -l,
// then include and var_dump) so that the expected values below are what
// PHP itself sees.

// configX35 is a complete X3.5 config_global.php in the installer's layout.
const configX35 = `<?php


$_config = array();

// ----------------------------  CONFIG DB  ----------------------------- //
// Edit with care: a line like $_config['db'][1]['dbpw'] = 'don't'; breaks the site.
$_config['db'][1]['dbhost'] = '127.0.0.1:3307';
$_config['db'][1]['dbuser'] = 'discuz';
$_config['db'][1]['dbpw'] = "p@ss:w/o\"rd\\x\$y";
$_config['db'][1]['dbcharset'] = 'utf8mb4';
$_config['db'][1]['pconnect'] = 0;
$_config['db'][1]['dbname'] = 'ultrax';
$_config['db'][1]['tablepre'] = 'pre_';
$_config['db']['slave'] = '';
$_config['db']['common']['slave_except_table'] = '';
$_config['db']['common']['engine'] = 'innodb';

/*
 * Database server two (not used). Example:
 * $_config['db'][2]['dbhost'] = "localhost";   // a quote ' and a " in here
 */

// --------------------------  CONFIG MEMORY  --------------------------- //
$_config['memory']['prefix'] = 'Xq7Lm2_';
$_config['memory']['redis']['server'] = '127.0.0.1';
$_config['memory']['redis']['port'] = 6379;
$_config['memory']['redis']['pconnect'] = 1;
$_config['memory']['redis']['timeout'] = '0';
$_config['memory']['redis']['requirepass'] = "r3dis'pw";
$_config['memory']['redis']['db'] = '2';
$_config['memory']['redis']['serializer'] = 1;
$_config['memory']['memcache']['server'] = '';
$_config['memory']['memcache']['port'] = 11211;
$_config['memory']['memcache']['pconnect'] = 1;
$_config['memory']['memcache']['timeout'] = 1;
$_config['memory']['memcached']['server'] = '';
$_config['memory']['memcached']['port'] = 11211;
$_config['memory']['apc'] = 0;
$_config['memory']['apcu'] = 1; # apcu = 1 "on"
$_config['memory']['xcache'] = 0;
$_config['memory']['eaccelerator'] = 0;
$_config['memory']['wincache'] = 0;
$_config['memory']['yac'] = 0;
$_config['memory']['file']['server'] = '';

// --------------------------  CONFIG SERVER  --------------------------- //
$_config['server']['id'] = 1;

// -------------------------  CONFIG DOWNLOAD  -------------------------- //
$_config['download']['readmod'] = 2;
$_config['download']['xsendfile']['type'] = 0;
$_config['download']['xsendfile']['dir'] = '/down/';

// --------------------------  CONFIG OUTPUT  --------------------------- //
$_config['output']['charset'] = 'utf-8';
$_config['output']['forceheader'] = 1;
$_config['output']['gzip'] = 0;
$_config['output']['tplrefresh'] = 1;
$_config['output']['language'] = 'zh_cn';
$_config['output']['staticurl'] = 'static/';
$_config['output']['ajaxvalidate'] = 0;
$_config['output']['upgradeinsecure'] = 0;
$_config['output']['css4legacyie'] = 1;

// --------------------------  CONFIG COOKIE  --------------------------- //
$_config['cookie']['cookiepre'] = 'OqGo_';
$_config['cookie']['cookiedomain'] = '';
$_config['cookie']['cookiepath'] = '/';

// -------------------------  CONFIG SECURITY  -------------------------- //
$_config['security']['authkey'] = 'aB3\'dE\\f9#x//y';
$_config['security']['urlxssdefend'] = 1;
$_config['security']['attackevasive'] = '0';
$_config['security']['onlyremoteaddr'] = 1;
$_config['security']['useipban'] = 1;
$_config['security']['querysafe']['status'] = 1;
$_config['security']['querysafe']['dfunction'][0] = 'load_file';
$_config['security']['querysafe']['dfunction'][1] = 'hex';
$_config['security']['querysafe']['dfunction'][2] = 'substring';
$_config['security']['querysafe']['dfunction'][3] = 'if';
$_config['security']['querysafe']['dfunction'][4] = 'ord';
$_config['security']['querysafe']['dfunction'][5] = 'char';
$_config['security']['querysafe']['daction'][0] = '@';
$_config['security']['querysafe']['daction'][1] = 'intooutfile';
$_config['security']['querysafe']['daction'][2] = 'intodumpfile';
$_config['security']['querysafe']['daction'][3] = 'unionselect';
$_config['security']['querysafe']['daction'][4] = '(select';
$_config['security']['querysafe']['daction'][5] = 'unionall';
$_config['security']['querysafe']['daction'][6] = 'uniondistinct';
$_config['security']['querysafe']['dnote'][0] = '/*';
$_config['security']['querysafe']['dnote'][1] = '*/';
$_config['security']['querysafe']['dnote'][2] = '#';
$_config['security']['querysafe']['dnote'][3] = '--';
$_config['security']['querysafe']['dnote'][4] = '"';
$_config['security']['querysafe']['dlikehex'] = 1;
$_config['security']['querysafe']['afullnote'] = 0;
$_config['security']['creditsafe']['second'] = 0;
$_config['security']['creditsafe']['times'] = 10;
$_config['security']['fsockopensafe']['port'] = array(80, 443, );
$_config['security']['fsockopensafe']['ipversion'] = ['ipv6', 'ipv4'];
$_config['security']['fsockopensafe']['verifypeer'] = false;
$_config['security']['error']['showerror'] = true;
$_config['security']['error']['guessplugin'] = '1';

// --------------------------  CONFIG ADMINCP  -------------------------- //
// 创始人 founder: uid list, e.g. '1,2' (comma separated) -- "quoted" = text
$_config['admincp']['founder'] = '1';
$_config['admincp']['forcesecques'] = 0;
$_config['admincp']['checkip'] = 1;
$_config['admincp']['runquery'] = 0;
$_config['admincp']['dbimport'] = 1;
$_config['admincp']['mustlogin'] = 1;

// --------------------------  CONFIG REMOTE  --------------------------- //
$_config['remote']['on'] = 0;
$_config['remote']['dir'] = 'remote';
$_config['remote']['appkey'] = md5($_config['security']['authkey']);
$_config['remote']['cron'] = 0;

// ---------------------------  CONFIG INPUT  --------------------------- //
$_config['input']['compatible'] = 1;

// ---------------------------  CONFIG CACHE  --------------------------- //
$_config['cache']['type'] = "sql";
$_config['plugindeveloper'] = 0;

// -------------------  THE END  -------------------- //
`

// configX34 is an X3.4 GBK site in the older flat '1' style, with the
// cookie section written as array(...) and a closing tag.
const configX34 = `<?php


$_config = array();

// ----------------------------  CONFIG DB  ----------------------------- //
$_config['db']['1']['dbhost'] = 'localhost:/var/run/mysqld/mysqld.sock';
$_config['db']['1']['dbuser'] = 'root';
$_config['db']['1']['dbpw'] = 'root';
$_config['db']['1']['dbcharset'] = 'gbk';
$_config['db']['1']['pconnect'] = '0';
$_config['db']['1']['dbname'] = 'discuz_gbk';
$_config['db']['1']['tablepre'] = 'cdb_';
$_config['db']['slave'] = '';
$_config['db']['common']['slave_except_table'] = '';

// --------------------------  CONFIG MEMORY  --------------------------- //
$_config['memory']['prefix'] = 'ab12cd_';
$_config['memory']['redis']['server'] = '';
$_config['memory']['redis']['port'] = 6379;
$_config['memory']['redis']['pconnect'] = 1;
$_config['memory']['redis']['timeout'] = '0';
$_config['memory']['redis']['requirepass'] = '';
$_config['memory']['redis']['serializer'] = 1;
$_config['memory']['memcache']['server'] = '10.0.0.5';
$_config['memory']['memcache']['port'] = '11211';
$_config['memory']['memcache']['pconnect'] = 1;
$_config['memory']['memcache']['timeout'] = 1;
$_config['memory']['apc'] = 1;
$_config['memory']['xcache'] = 1;
$_config['memory']['eaccelerator'] = 1;
$_config['memory']['wincache'] = 1;
$_config['memory']['yac'] = 1;
$_config['memory']['file']['server'] = 'data/cache/filecache';

// --------------------------  CONFIG OUTPUT  --------------------------- //
$_config['output']['charset'] = 'gbk';
$_config['output']['language'] = 'zh_cn';

// --------------------------  CONFIG COOKIE  --------------------------- //
$_config['cookie'] = array(
	'cookiepre' => 'Zx9k_',   // 4 random chars + '_'
	'cookiedomain' => '.example.com',
	'cookiepath' => 'bbs',
);

// -------------------------  CONFIG SECURITY  -------------------------- //
$_config['security']['authkey'] = "0123456789abcdef";

// -------------------  THE END  -------------------- //

?>
`

// configUCenter is an X3.5 config_ucenter.php (UCenter installed with Discuz).
const configUCenter = `<?php


define('UC_CONNECT', 'mysql');

define('UC_DBHOST', 'localhost');
define('UC_DBUSER', 'root');
define('UC_DBPW', 'uc"pw\'1');
define('UC_DBNAME', 'discuz');
define('UC_DBCHARSET', 'utf8mb4');
define('UC_DBTABLEPRE', '` + "`discuz`" + `.pre_ucenter_');
define('UC_DBCONNECT', 0);

define('UC_AVTURL', '');
define('UC_AVTPATH', '');

define('UC_CHARSET', 'utf-8');
define('UC_KEY', "k3y\$with,comma");
define('UC_API', 'http://forum.example/uc_server');
define('UC_APPID', '1');
define('UC_IP', '');
define('UC_PPP', '20');
define('UC_STANDALONE', 1);
`
