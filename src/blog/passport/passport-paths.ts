export const PASSPORT_LOGIN_PATH = '/passport/login/';
export const PASSPORT_PROFILE_PATH = '/passport/profile/';
